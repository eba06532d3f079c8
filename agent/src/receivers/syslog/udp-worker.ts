import { createSocket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';

// The syslog receiver's UDP socket, owned by a worker thread that does nothing but read datagrams
// and hand them to the main thread in batches: the socket keeps draining while the main thread
// parses and exports (an event-loop pause there used to overflow the kernel's receive buffer).
// Only node: modules are imported here, so the thread stays small.

/** What the main thread starts the worker with. */
export interface UdpWorkerData {
  type: 'udp4' | 'udp6';
  host: string;
  port: number;
  receiveBufferSize: number;
}

/** Datagrams read since the last batch, in one transferred ArrayBuffer. */
export interface UdpBatch {
  kind: 'batch';
  bytes: ArrayBuffer;
  /** Datagram i is bytes[ends[i-1] (0 for the first) .. ends[i]). */
  ends: Int32Array;
  /** Datagram i came from peers[peerIndex[i]] (the address as the socket tells it). */
  peerIndex: Uint16Array;
  peers: string[];
  /** Datagrams read but not handed on because the main thread is this far behind (counted, never silent). */
  dropped: number;
}

export type UdpWorkerMessage =
  | UdpBatch
  | { kind: 'listening'; port: number; granted: number; setError?: string }
  | { kind: 'bind-error'; message: string }
  | { kind: 'error'; message: string };

/** The main thread's messages: `ack` after each batch it has handled, `close` at shutdown. */
export type UdpWorkerCommand = { kind: 'ack' } | { kind: 'close' };

/** A batch goes when it has this many datagrams, this many bytes, or is this old. */
const BATCH_DATAGRAMS = 1024;
const BATCH_BYTES = 512 * 1024;
const BATCH_MS = 4;
/** Batches handed on but not yet handled by the main thread before datagrams are dropped (about 128 MiB at most). */
const MAX_UNACKED = 256;

function run(port: NonNullable<typeof parentPort>, data: UdpWorkerData): void {
  const socket = createSocket({ type: data.type });
  let chunks: Buffer[] = [];
  let bytes = 0;
  let ends = new Int32Array(BATCH_DATAGRAMS);
  let peerIndex = new Uint16Array(BATCH_DATAGRAMS);
  let count = 0;
  let peers: string[] = [];
  let peerIds = new Map<string, number>();
  let dropped = 0;
  let unacked = 0;
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (count === 0 && dropped === 0) return;
    const all = new Uint8Array(bytes);
    let at = 0;
    for (const chunk of chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    const batch: UdpBatch = { kind: 'batch', bytes: all.buffer, ends: ends.subarray(0, count), peerIndex: peerIndex.subarray(0, count), peers, dropped };
    port.postMessage(batch, [all.buffer, ends.buffer, peerIndex.buffer]);
    unacked++;
    chunks = [];
    bytes = 0;
    ends = new Int32Array(BATCH_DATAGRAMS);
    peerIndex = new Uint16Array(BATCH_DATAGRAMS);
    count = 0;
    peers = [];
    peerIds = new Map();
    dropped = 0;
  };

  socket.on('message', (message, remote) => {
    if (unacked >= MAX_UNACKED) {
      dropped++;
      timer ??= setTimeout(flush, BATCH_MS);
      return;
    }
    let id = peerIds.get(remote.address);
    if (id === undefined) {
      id = peers.push(remote.address) - 1;
      peerIds.set(remote.address, id);
    }
    chunks.push(message);
    bytes += message.length;
    ends[count] = bytes;
    peerIndex[count] = id;
    count++;
    if (count === BATCH_DATAGRAMS || bytes >= BATCH_BYTES || peers.length === 65535) flush();
    else timer ??= setTimeout(flush, BATCH_MS);
  });
  socket.on('error', (err) => port.postMessage({ kind: 'error', message: err.message } satisfies UdpWorkerMessage));
  port.on('message', (command: UdpWorkerCommand) => {
    if (command.kind === 'ack') unacked--;
    else {
      flush();
      socket.close(() => port.close());
    }
  });

  const onBindError = (err: Error) => {
    port.postMessage({ kind: 'bind-error', message: err.message } satisfies UdpWorkerMessage);
    port.close();
  };
  socket.once('error', onBindError);
  socket.bind(data.port, data.host, () => {
    socket.off('error', onBindError);
    let setError: string | undefined;
    try {
      socket.setRecvBufferSize(data.receiveBufferSize);
    } catch (err) {
      setError = (err as Error).message;
    }
    port.postMessage({ kind: 'listening', port: socket.address().port, granted: socket.getRecvBufferSize(), ...(setError ? { setError } : {}) } satisfies UdpWorkerMessage);
  });
}

if (parentPort) run(parentPort, workerData as UdpWorkerData);
