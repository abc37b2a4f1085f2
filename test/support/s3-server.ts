import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createRequire } from 'node:module';
import { pipeline } from 'node:stream';
import { tempDir } from './tmp.js';

/**
 * A real S3-protocol server for tests: s3rver (files in a temp folder, one bucket) behind a tiny HTTP proxy on
 * 127.0.0.1. The proxy's port is the one to use; it logs every request (`requests`, to count PUTs) and lets a
 * test take the server away and back without losing data:
 *   pause()   the port refuses connections (as a host that is down);
 *   stall()   connections are accepted and requests never answered (as a firewall that drops, or a hung server);
 *   resume()  normal again, same port;
 *   restart() s3rver itself stops and starts again on the same folder (objects kept), same port;
 *   stop()    everything ends and the temp folder is removed (unless `directory` was given).
 * Use with `forcePathStyle: true`, `region` and `credentials` from here (s3rver knows only S3RVER/S3RVER, and checks
 * the key and the expiry of presigned links, not signatures). A child process (e2e) can be given `endpoint`.
 *
 *   const s3 = await startS3Server();
 *   afterAll(() => s3.stop());
 */
export interface S3TestServer {
  port: number;
  /** http://127.0.0.1:<port> */
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** s3rver's data folder. */
  directory: string;
  /** Every request the proxy received, in order (stalled and failed ones too). `query` is without '?'. */
  requests: Array<{ method: string; path: string; query: string }>;
  pause(): Promise<void>;
  stall(): Promise<void>;
  resume(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: http.Server;
}
type S3rverClass = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: Array<{ name: string }>;
}) => S3rverInstance;

// s3rver is CommonJS without type declarations.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

function forwardable(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}

export async function startS3Server(opts: { bucket?: string; directory?: string } = {}): Promise<S3TestServer> {
  const bucket = opts.bucket ?? 'callbridge-test';
  const temp = opts.directory ? undefined : tempDir('callbridge-s3-');
  const directory = opts.directory ?? (temp as { dir: string }).dir;
  const requests: S3TestServer['requests'] = [];
  let mode: 'open' | 'stalled' = 'open';
  const held = new Set<ServerResponse>();

  let s3: S3rverInstance;
  let upstreamPort = 0;
  const startS3 = async () => {
    s3 = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] });
    upstreamPort = (await s3.run()).port;
  };
  const stopS3 = async () => {
    s3.httpServer?.closeAllConnections();
    await s3.close();
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    requests.push({ method: req.method ?? '', path: url.pathname, query: url.search.replace(/^\?/, '') });
    if (mode === 'stalled') {
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    // agent: false: one connection per request, so that stopping s3rver never waits on an idle keep-alive socket.
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: forwardable(req.headers), agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
        pipeline(answer, res, () => {});
      },
    );
    upstream.on('error', () => res.destroy());
    pipeline(req, upstream, () => {});
  };

  let proxy: http.Server | undefined;
  let port = 0;
  const sockets = new Set<Socket>();
  const open = async () => {
    const server = http.createServer(onRequest);
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    proxy = server;
  };
  const shut = async () => {
    const server = proxy;
    proxy = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  await startS3();
  await open();

  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    directory,
    requests,
    pause: shut,
    async stall() {
      mode = 'stalled';
      if (!proxy) await open();
    },
    async resume() {
      mode = 'open';
      for (const res of held) res.destroy();
      if (!proxy) await open();
    },
    async restart() {
      await shut();
      await stopS3();
      await startS3();
      mode = 'open';
      await open();
    },
    async stop() {
      for (const res of held) res.destroy();
      await shut();
      await stopS3().catch(() => {});
      temp?.cleanup();
    },
  };
}
