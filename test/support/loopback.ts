import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * `server` listening on an ephemeral 127.0.0.1 port: its base URL, and a close that ends every connection
 * (hung requests and keep-alive sockets included) so that a test never waits on one.
 */
export async function listenLoopback(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A free loopback port (listen on 0, read it, close), for a server that must be told its port up front. */
export async function freePort(): Promise<number> {
  const listening = await listenLoopback(createServer());
  await listening.close();
  return Number(new URL(listening.url).port);
}
