import { logExports, measureEngineInsert, measureIngest, spanExports } from './write-path.js';
import { logs, traces } from '@rollpoint/proto';
const workers = Number(process.argv[2] ?? 1);
const big = logExports(200, 1000, 1);
const small = logExports(1000, 100, 2);
const spans = spanExports(200, 500, 3);
console.log('engine logs 10k', Math.round(await measureEngineInsert('logs', big, 10000)));
console.log('engine spans 10k', Math.round(await measureEngineInsert('traces', spans, 10000)));
const r = await measureIngest([
  { method: logs.grpcMethod, exports: big, clients: 8, inFlight: 8 },
  { method: logs.grpcMethod, exports: small, clients: 50, inFlight: 50 },
  { method: traces.grpcMethod, exports: spans, clients: 8, inFlight: 8 },
], workers, [200000, 100000, 100000]);
console.log(JSON.stringify(r, null, 1));
