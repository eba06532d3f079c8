import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

// Load at a fixed rate, for the receivers' zero-loss and memory benchmarks.

/** Calls `sendSlice(first, n)` for `total` items at `rate` per second, in 10 ms slices. */
export async function atRate(rate: number, total: number, sendSlice: (first: number, n: number) => Promise<void>): Promise<void> {
  const perSlice = Math.max(1, Math.round(rate / 100));
  const started = performance.now();
  for (let sent = 0, slice = 0; sent < total; slice++) {
    const n = Math.min(perSlice, total - sent);
    await sendSlice(sent, n);
    sent += n;
    const due = started + (slice + 1) * 10;
    if (due > performance.now()) await sleep(due - performance.now());
  }
}

/** Sends `total` datagrams made by `packet` to `port` at `rate` per second. */
export async function sendUdpAt(port: number, rate: number, total: number, packet: (i: number) => Buffer | string): Promise<void> {
  const socket = createSocket('udp4');
  try {
    await atRate(rate, total, (first, n) =>
      Promise.all(Array.from({ length: n }, (_, k) => new Promise<void>((resolve) => socket.send(packet(first + k), port, '127.0.0.1', () => resolve())))).then(() => undefined),
    );
  } finally {
    socket.close();
  }
}

/** Waits until `count` stops growing (or reaches `expected`) and returns it. */
export async function settledCount(count: () => Promise<number>, expected: number): Promise<number> {
  let last = -1;
  for (let quiet = 0; quiet < 6; ) {
    const now = await count();
    if (now >= expected) return now;
    quiet = now === last ? quiet + 1 : 0;
    last = now;
    await sleep(250);
  }
  return last;
}

/**
 * The highest of `rates` at which every datagram of a `seconds`-long burst was taken (0 when even
 * the lowest lost some); rates are tried in order and the first loss stops the climb.
 */
export async function zeroLossRate(rates: readonly number[], seconds: number, port: number, count: () => Promise<number>, packet: (i: number) => Buffer | string): Promise<number> {
  let best = 0;
  let first = 0;
  for (const rate of rates) {
    const before = await count();
    const total = rate * seconds;
    await sendUdpAt(port, rate, total, (i) => packet(first + i));
    first += total;
    if ((await settledCount(count, before + total)) - before < total) break;
    best = rate;
  }
  return best;
}

/** Lines in `file` so far (0 before it exists). */
export function lineCount(file: string): number {
  try {
    const bytes = readFileSync(file);
    let lines = 0;
    for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) lines++;
    return lines;
  } catch {
    return 0;
  }
}
