import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback that can lose answers: while `swallowing`, bytes from the target back to
 * the client are dropped, so a request reaches the server (and is acted on) but its answer never
 * reaches the caller; `cut()` then closes every connection, as a network failure would.
 */
export interface LossyProxy {
  port: number;
  swallowing: boolean;
  cut(): void;
  close(): Promise<void>;
}

export async function startLossyProxy(targetPort: number): Promise<LossyProxy> {
  const sockets = new Set<Socket>();
  const proxy: LossyProxy = {
    port: 0,
    swallowing: false,
    cut: () => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    close: () => {
      proxy.cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((client) => {
    const target = connect(targetPort, '127.0.0.1');
    for (const socket of [client, target]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        client.destroy();
        target.destroy();
      });
    }
    client.on('data', (chunk) => target.write(chunk));
    target.on('data', (chunk) => {
      if (!proxy.swallowing) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as { port: number }).port;
  return proxy;
}
