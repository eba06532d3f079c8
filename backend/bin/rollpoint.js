#!/usr/bin/env node
// The rollpoint command: a launcher that exists before the build, so npm links it at install.
import "../dist/cli/main.js";
