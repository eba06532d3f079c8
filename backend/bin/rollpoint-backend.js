#!/usr/bin/env node
// The rollpoint-backend command: a launcher that exists before the build, so npm links it at install.
import "../dist/main.js";
