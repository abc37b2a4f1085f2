/**
 * Who may read the bridge's insides: /status, /metrics and the detail of /readyz. With http.admin credentials only
 * requests carrying them; without, only clients on the bridge host (loopback, not through a proxy). Over real HTTP
 * on 127.0.0.1; a client from elsewhere is stood in by the injected peer address.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { checkAdminAccess, isLoopbackAddress } from '../../src/http/admin.js';
import { createHttpApp, type RunningHttpServer, startHttpServer } from '../../src/http/app.js';
import type { AdminConfig } from '../../src/http/config.js';
import { sourcesRunning } from '../../src/http/health.js';
import { RecordingLinks } from '../../src/recordings/links.js';
import { linesLogger } from '../support/log-lines.js';

const TOKEN = 'admin-token-5f0c2a9e7d1b';
const PASSWORD = 'pw-8c1d7e3a';

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::FFFF:127.9.8.7', '::ffff:7f00:1'])(
    '%s is this host',
    (address) => {
      expect(isLoopbackAddress(address)).toBe(true);
    },
  );

  it.each([
    '10.0.0.5',
    '192.168.1.20',
    '203.0.113.7',
    '128.0.0.1',
    '126.255.255.255',
    '0.0.0.0',
    '::',
    '::2',
    'fe80::1',
    '2001:db8::1',
    '::ffff:10.0.0.5',
    '::ffff:203.0.113.7',
    '::127.0.0.1',
    'localhost',
    '127.0.0.1.example.com',
    '',
    undefined,
  ])('%s is not', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
});

describe('checkAdminAccess', () => {
  const req = (remoteAddress: string | undefined, headers: Record<string, string> = {}) => ({
    remoteAddress,
    header: (name: string) => headers[name.toLowerCase()],
  });
  const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

  it('without credentials: loopback clients pass, others get 403 saying to set http.admin', () => {
    expect(checkAdminAccess(undefined, req('127.0.0.1'))).toEqual({ ok: true });
    expect(checkAdminAccess({}, req('::ffff:127.0.0.1'))).toEqual({ ok: true });
    for (const address of ['10.1.2.3', '::ffff:192.168.0.9', '2001:db8::5', undefined]) {
      const access = checkAdminAccess(undefined, req(address));
      expect(access).toMatchObject({ ok: false, status: 403, message: expect.stringContaining('http.admin') });
    }
  });

  it('without credentials: a loopback connection carrying a proxy header came from elsewhere and is refused', () => {
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      expect(checkAdminAccess(undefined, req('127.0.0.1', { [header]: '203.0.113.7' }))).toMatchObject({ ok: false, status: 403 });
    }
  });

  it('with a token: required from every client, loopback included; challenges name the scheme', () => {
    const admin: AdminConfig = { token: TOKEN };
    expect(checkAdminAccess(admin, req('127.0.0.1'))).toMatchObject({ ok: false, status: 401, challenges: ['Bearer realm="callbridge admin"'] });
    expect(checkAdminAccess(admin, req('127.0.0.1', { authorization: `Bearer ${TOKEN}x` }))).toMatchObject({ ok: false, status: 401 });
    expect(checkAdminAccess(admin, req('127.0.0.1', { authorization: basic('ops', TOKEN) }))).toMatchObject({ ok: false, status: 401 });
    expect(checkAdminAccess(admin, req('203.0.113.7', { authorization: `Bearer ${TOKEN}` }))).toEqual({ ok: true });
  });

  it('with user name and password: basic auth; with both kinds, either passes', () => {
    const admin: AdminConfig = { username: 'ops', password: PASSWORD };
    expect(checkAdminAccess(admin, req('10.0.0.1', { authorization: basic('ops', PASSWORD) }))).toEqual({ ok: true });
    expect(checkAdminAccess(admin, req('10.0.0.1', { authorization: basic('ops', 'wrong-password') }))).toMatchObject({ ok: false, status: 401 });
    expect(checkAdminAccess(admin, req('10.0.0.1', { authorization: basic('root', PASSWORD) }))).toMatchObject({ ok: false, status: 401 });
    const both: AdminConfig = { token: TOKEN, username: 'ops', password: PASSWORD };
    expect(checkAdminAccess(both, req('10.0.0.1', { authorization: basic('ops', PASSWORD) }))).toEqual({ ok: true });
    expect(checkAdminAccess(both, req('10.0.0.1', { authorization: `Bearer ${TOKEN}` }))).toEqual({ ok: true });
    const missing = checkAdminAccess(both, req('10.0.0.1'));
    expect(missing).toMatchObject({ ok: false, status: 401, challenges: ['Bearer realm="callbridge admin"', 'Basic realm="callbridge admin", charset="UTF-8"'] });
  });

  it('never puts a credential, configured or sent, in its message', () => {
    const admin: AdminConfig = { token: TOKEN, username: 'ops', password: PASSWORD };
    const sent = [`Bearer ${TOKEN.slice(0, -1)}`, basic('ops', `${PASSWORD}!`), `Bearer ${TOKEN} ${TOKEN}`];
    for (const authorization of sent) {
      const access = checkAdminAccess(admin, req('10.0.0.1', { authorization }));
      expect(access.ok).toBe(false);
      const text = JSON.stringify(access);
      for (const secret of [TOKEN, PASSWORD, TOKEN.slice(0, -1), Buffer.from(`ops:${PASSWORD}!`).toString('base64')]) expect(text).not.toContain(secret);
    }
  });
});

/** The parts of the app these tests do not exercise: no hook sources, no calls, no recordings. */
const noCalls = () => ({
  sources: [],
  ingestor: { ingestLegs: () => Promise.reject(new Error('unused')) },
  ledger: { get: () => Promise.resolve(null) },
  recordings: { links: new RecordingLinks({ publicBaseUrl: 'http://127.0.0.1', secret: 'recording-secret-0123456789', ttlHours: 72 }), roots: [] },
});

describe('the bridge app with admin routes', () => {
  let server: RunningHttpServer | null = null;
  afterEach(async () => {
    await server?.close(100);
    server = null;
  });

  /** The app as the bridge composes it, with stand-in /status and /metrics that reveal "internals". */
  async function start(opts: { admin?: AdminConfig; remoteAddress?: () => string | undefined }) {
    const { logger, lines } = linesLogger();
    const internals = express.Router();
    internals.get('/status', (_req, res) => {
      res.json({ ledger: '/var/lib/callbridge/callbridge.sqlite' });
    });
    internals.get('/metrics', (_req, res) => {
      res.type('text/plain').send('callbridge_rows{state="failed"} 3\n');
    });
    const app = createHttpApp({
      ...noCalls(),
      readiness: { sources: sourcesRunning([{ sourceId: 'pbx', running: false, lastProblem: 'drop folder /var/spool/cdr cannot be read' }]) },
      adminRouters: [internals],
      admin: opts.admin,
      remoteAddress: opts.remoteAddress,
      logger,
    });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
    const url = server.url;
    const get = async (p: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${url}${p}`, { headers });
      return { status: res.status, headers: res.headers, text: await res.text() };
    };
    return { get, lines };
  }

  it('a client from elsewhere, no admin configured: /status and /metrics 403 naming http.admin; health, hooks and recordings answer as before', async () => {
    const { get } = await start({ remoteAddress: () => '203.0.113.7' });
    for (const p of ['/status', '/metrics']) {
      const res = await get(p);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text)).toEqual({ error: expect.stringContaining('set http.admin') });
      expect(res.text).not.toContain('callbridge_rows');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    expect(JSON.parse((await get('/healthz')).text)).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toEqual({ ready: false });
    // The public routes keep their own answers (no admin check in front of them).
    expect(await get('/hooks/pbx')).toMatchObject({ status: 405, text: JSON.stringify({ error: 'hooks take POST only' }) });
    expect((await get('/recordings/not-a-token')).status).toBe(403);
    expect(JSON.parse((await get('/recordings/not-a-token')).text)).toEqual({ error: 'invalid recording link' });
  });

  it('the same app, judged on the real socket (127.0.0.1): /status, /metrics and the /readyz detail answer', async () => {
    const { get } = await start({});
    expect(JSON.parse((await get('/status')).text)).toEqual({ ledger: '/var/lib/callbridge/callbridge.sqlite' });
    expect((await get('/metrics')).text).toContain('callbridge_rows');
    const ready = JSON.parse((await get('/readyz')).text) as Record<string, unknown>;
    expect(ready).toMatchObject({ ready: false, checks: { sources: { ok: false, detail: expect.stringContaining('pbx') } } });
    expect((await get('/nothing-here')).status).toBe(404);
    // Through a proxy on this host the connection is loopback, but the client is not.
    expect((await get('/status', { 'x-forwarded-for': '198.51.100.4' })).status).toBe(403);
  });

  it('with http.admin: 401 with WWW-Authenticate without or with wrong credentials (loopback too), 200 with them; nothing leaks', async () => {
    const admin = { token: TOKEN, username: 'ops', password: PASSWORD };
    const { get, lines } = await start({ admin });
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TOKEN}-wrong` }, { authorization: `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}` }];
    for (const headers of attempts) {
      const res = await get('/status', headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/Bearer realm="callbridge admin".*Basic realm="callbridge admin"/);
      expect(res.text).not.toContain('/var/lib');
      expect(res.text).not.toContain(TOKEN);
      expect(res.text).not.toContain(PASSWORD);
    }
    expect((await get('/metrics')).status).toBe(401);
    expect(JSON.parse((await get('/readyz')).text)).toEqual({ ready: false });
    expect((await get('/status', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const basicOk = `Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}`;
    expect((await get('/metrics', { authorization: basicOk })).text).toContain('callbridge_rows');
    expect(JSON.parse((await get('/readyz', { authorization: basicOk })).text)).toMatchObject({ checks: { sources: { ok: false } } });
    const logged = lines.join('');
    expect(logged).toContain('refused an admin request');
    // What /readyz no longer tells the public, the log tells the operator (once per change, paths whole).
    expect(lines.filter((l) => l.includes('not ready: sources: not running: pbx (drop folder /var/spool/cdr cannot be read)'))).toHaveLength(1);
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(PASSWORD);
  });

  it('every answer, errors included, carries the security headers and no X-Powered-By', async () => {
    const boom = express.Router();
    boom.get('/boom', () => {
      throw new Error('internal detail /etc/secret-path');
    });
    const app = createHttpApp({
      ...noCalls(),
      readiness: {},
      extraRouters: [boom],
    });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
    const seen: number[] = [];
    for (const p of ['/boom', '/nothing', '/healthz', '/readyz', '/hooks/none', '/recordings/x']) {
      const res = await fetch(`${server.url}${p}`);
      seen.push(res.status);
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
      expect(res.headers.get('cache-control')).toMatch(/no-store/);
      const body = await res.text();
      expect(body).not.toContain('/etc/secret-path');
    }
    expect(seen).toEqual([500, 404, 200, 200, 405, 403]);
  });
});
