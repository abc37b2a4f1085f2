import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { stereoWav } from '../../src/bridge/sandbox.js';
import { documentedSample } from '../../src/dstny/payload.js';
import type { EmulatorHandle } from '../../src/emulator/index.js';
import { listenLoopback } from '../support/loopback.js';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** One request to the emulator over real HTTP; `token: null` sends no Authorization header. */
export async function call(
  emu: Pick<EmulatorHandle, 'url' | 'token'>,
  method: string,
  path: string,
  opts: { body?: unknown; rawBody?: string; token?: string | null; signal?: AbortSignal } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? emu.token : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${emu.url}${path}`, { method, headers, body, signal: opts.signal });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** A loopback HTTP server with a handler; tracks what it received. */
export interface TestServer {
  url: string;
  server: Server;
  received: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string; at: number }>;
  close(): Promise<void>;
}

export async function startTestServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string, n: number) => void,
): Promise<TestServer> {
  const received: TestServer['received'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() });
      handler(req, res, body, received.length);
    });
  });
  return { ...(await listenLoopback(server)), server, received };
}

/** A recording server: 200 with a real (short) WAV for paths ending .wav, 404 otherwise. */
export function startRecordingServer(): Promise<TestServer> {
  // The emulator checks that a recording is audio, as Dstny does: the bytes must be a real WAV.
  const wav = stereoWav(1, 8_000);
  return startTestServer((req, res) => {
    if (req.url?.endsWith('.wav')) {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': wav.length });
      res.end(wav);
    } else {
      res.writeHead(404).end();
    }
  });
}

/** A valid body: the documented sample plus a recording URL, with overrides. */
export function payload(recordingBase: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...documentedSample, call_recording_url: `${recordingBase}/rec/${String(overrides.call_external_id ?? documentedSample.call_external_id)}.wav`, ...overrides };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll until `check` returns true, or fail after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** POST each call (the documented sample with these overrides) and return conversation_id by call_external_id. */
export async function createCalls(emu: { url: string; token: string }, recordingBase: string, calls: Array<Record<string, unknown> & { call_external_id: string }>): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const c of calls) {
    const res = await call(emu, 'POST', '/api/v2/conversations', { body: JSON.parse(JSON.stringify(payload(recordingBase, c))) });
    if (res.status !== 200) throw new Error(`creating ${c.call_external_id}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    ids[c.call_external_id] = (res.body as { conversation_id: string }).conversation_id;
  }
  return ids;
}
