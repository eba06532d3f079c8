import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { waitUntil, type BackendProcess } from './processes.js';

// Senders and look-ups for syslog tests.

let serial = 0;

/** A string no other message in this test run contains. */
export const marker = (what: string): string => `${what}-${process.pid}-${++serial}`;

export type LogRow = Record<string, unknown> & { Body: string; LogAttributes: Record<string, string>; ResourceAttributes: Record<string, string> };

/** The stored log record whose Body contains `mark`, waiting for it to arrive. */
export async function storedLog(backend: BackendProcess, mark: string, timeoutMs = 30000): Promise<LogRow> {
  const sql = `SELECT * FROM otel_logs WHERE position(Body, '${mark}') > 0`;
  await waitUntil(async () => (await backend.sql(sql)).length > 0, `a log containing ${mark}`, timeoutMs);
  return (await backend.sql(sql))[0] as LogRow;
}

/** Opens a TCP connection (from `localAddress`, a 127.0.0.x, when given), writes `payload`, closes it and waits until it is closed. */
export function sendTcp(port: number, payload: Buffer | string, localAddress?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) }, () => socket.end(payload));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

/** Sends each payload as one UDP datagram. */
export async function sendUdp(port: number, payloads: ReadonlyArray<Buffer | string>): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (const payload of payloads) {
      await new Promise<void>((resolve, reject) => socket.send(payload, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    }
  } finally {
    socket.close();
  }
}
