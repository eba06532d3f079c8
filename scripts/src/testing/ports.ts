import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

// Ports for the processes a test starts. Taken below Linux's ephemeral range (32768–60999): a port
// the OS picks with listen(0) comes from that range, and so does the source port of every outgoing
// connection (an agent's to its backend, a client's), which could take it between our check and
// the process binding it. Each is free for TCP and UDP on 127.0.0.1 (syslog and traps listen on
// UDP), and never handed out twice by one test process.

const FIRST = 20000;
const LAST = 32767;
const given = new Set<number>();

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.unref();
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 that was free for TCP and UDP a moment ago. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = randomInt(FIRST, LAST + 1);
    if (given.has(port)) continue;
    given.add(port);
    if ((await tcpFree(port)) && (await udpFree(port))) return port;
  }
  throw new Error(`no free port between ${FIRST} and ${LAST} after 1000 tries`);
}
