// Generates TypeScript types for the OTLP protos into proto/generated/: protobufjs-cli writes a
// static module and pbts turns it into otlp.d.ts. Only the types are used (the messages themselves
// are built by reflection at run time, see src/otlp.ts); both files are build output, not source.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'generated', 'otlp.js');
const protos = [
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
];

mkdirSync(dirname(out), { recursive: true });
const bin = (name) => join(root, 'node_modules', '.bin', name);
const resolveBin = (name) => {
  // npm workspaces hoist binaries to the repository root.
  for (const candidate of [bin(name), join(root, '..', 'node_modules', '.bin', name)]) {
    try { execFileSync(candidate, ['--help'], { stdio: 'ignore' }); } catch (e) { if (e.code === 'ENOENT') continue; }
    return candidate;
  }
  throw new Error(`${name} not found: run npm install first`);
};
execFileSync(resolveBin('pbjs'), [
  '--target', 'static-module', '--wrap', 'esm', '--force-long', '--no-verify', '--no-delimited',
  '--no-service', '--no-typeurl', '--path', root, '--out', out, ...protos,
], { cwd: root, stdio: 'inherit' });
execFileSync(resolveBin('pbts'), ['--no-comments', '--out', out.replace(/\.js$/, '.d.ts'), out], { cwd: root, stdio: 'inherit' });
