import express, { type Express } from 'express';
import type { Config } from '../config/schema.js';
import { CallbridgeError } from '../errors.js';
import { type RunningHttpServer, startHttpServer } from '../http/app.js';
import { definePart } from './lifecycle.js';

/**
 * The bridge's HTTP server, listening before the rest is built: the port may be 0, and recording links must
 * name the real one. Until `serve` hands it the app, every request gets 503.
 */
export const httpPart = definePart({
  name: 'http',
  summary: 'The HTTP server (hooks, recording links, health, /status, /metrics, the Dstny webhook): listens first and answers 503 until the bridge is built.',
  async build({ config }: { config: Pick<Config, 'http' | 'submit'> }) {
    let app: Express | null = null;
    const front = express();
    front.use((req, res, next) => (app ? app(req, res, next) : res.status(503).json({ error: 'starting' })));
    const server: RunningHttpServer = await startHttpServer(front, { host: config.http.host, port: config.http.port }).catch((error: unknown) => {
      const code = (error as { code?: string }).code;
      throw new CallbridgeError(
        `cannot listen on ${config.http.host}:${config.http.port}: ${code ?? (error as Error).message}${code === 'EADDRINUSE' ? ' (another process uses that port: set http.port or CALLBRIDGE_HTTP_PORT)' : ''}`,
      );
    });
    return {
      url: server.url,
      /** The address this process reaches itself at (a wildcard bind is reached on loopback). */
      localUrl: server.url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//127.0.0.1'),
      serve(ready: Express) {
        app = ready;
      },
      stop: () => server.close(config.submit.shutdownTimeoutMs),
    };
  },
});
