import http from 'node:http';
import { listenLoopback } from './loopback.js';

export interface ReceivedRequest {
  at: number;
  method: string;
  url: string;
  authorization: string | undefined;
  body: Record<string, unknown> | null;
}

export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

/**
 * A real HTTP server on an ephemeral loopback port whose answers a test scripts per request.
 * `hang` never answers (the client times out); hung connections are ended on close.
 */
export async function startScriptedApi(reply: (req: ReceivedRequest, seen: ReceivedRequest[]) => Reply) {
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const entry: ReceivedRequest = {
        at: Date.now(),
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
      };
      received.push(entry);
      const r = reply(entry, received);
      if (r === 'hang') return;
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(r.body === undefined ? '' : JSON.stringify(r.body));
    });
  });
  return { ...(await listenLoopback(server)), received, posts: () => received.filter((r) => r.method === 'POST') };
}
