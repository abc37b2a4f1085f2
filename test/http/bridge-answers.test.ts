/**
 * What a whole running bridge answers over HTTP (started as `npm start` does, in sandbox mode, on 127.0.0.1): no
 * framework banner and the security headers on every answer, errors and 404s included, and http.admin honoured on
 * /status and /metrics.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { httpPart } from '../../src/bridge/http.js';
import { startBridge } from '../../src/bridge/start.js';
import { validateConfig } from '../../src/config/load.js';
import { linesLogger } from '../support/log-lines.js';
import { tempDir } from '../support/tmp.js';

const TOKEN = 'bridge-admin-token-31f9c0d2';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function sandboxConfig(http: Record<string, unknown> = {}) {
  const tmp = tempDir('callbridge-answers-');
  cleanups.push(tmp.cleanup);
  return validateConfig({ dataDir: tmp.dir, http: { host: '127.0.0.1', port: 0, ...http }, sources: [{ type: 'hook', id: 'pbx', adapter: 'asterisk-csv' }] });
}

function expectSafeHeaders(res: Response, what: string): void {
  const headers = Object.fromEntries(res.headers);
  expect({ what, poweredBy: headers['x-powered-by'] }).toEqual({ what, poweredBy: undefined });
  expect({ what, headers }).toMatchObject({
    what,
    headers: {
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': expect.stringContaining('no-store'),
    },
  });
}

describe('a running bridge over HTTP', () => {
  it('answers every route, 4xx and 404 included, without X-Powered-By and with the security headers', async () => {
    const { logger } = linesLogger();
    const bridge = await startBridge(sandboxConfig(), { configDir: process.cwd(), logger });
    cleanups.push(() => bridge.stop());
    const requests: Array<[string, string, RequestInit?, number?]> = [
      ['GET', '/healthz', undefined, 200],
      ['GET', '/readyz'],
      ['GET', '/status', undefined, 200],
      ['GET', '/metrics', undefined, 200],
      ['GET', '/no-such-page', undefined, 404],
      ['POST', '/hooks/pbx', { body: '' }, 400],
      ['POST', '/hooks/pbx', { body: 'not,a,cdr' }, 400],
      ['GET', '/hooks/pbx', undefined, 405],
      ['POST', '/hooks/nobody', { body: 'x' }, 404],
      ['GET', '/recordings/forged-token', undefined, 403],
      ['POST', '/webhooks/dstny/wrong-secret-0123456789', { body: '{}' }, 404],
    ];
    for (const [method, p, init, status] of requests) {
      const res = await fetch(`${bridge.url}${p}`, { method, ...init });
      await res.arrayBuffer();
      if (status !== undefined) expect({ p, method, status: res.status }).toEqual({ p, method, status });
      expectSafeHeaders(res, `${method} ${p}`);
    }
  });

  it('answers 503 while it is starting without X-Powered-By either', async () => {
    const config = sandboxConfig();
    const http = await httpPart.build({ config });
    cleanups.push(() => http.stop());
    const res = await fetch(`${http.url}/status`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'starting' });
    expectSafeHeaders(res, 'starting');
  });

  it('with http.admin.token: /status and /metrics need the bearer token, even from this host; the token is in no log line', async () => {
    const { logger, lines } = linesLogger();
    const bridge = await startBridge(sandboxConfig({ admin: { token: TOKEN } }), { configDir: process.cwd(), logger });
    cleanups.push(() => bridge.stop());
    for (const p of ['/status', '/metrics']) {
      const refused = await fetch(`${bridge.url}${p}`, { headers: { authorization: 'Bearer not-the-admin-token' } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="callbridge admin"');
      expect(await refused.text()).not.toContain(TOKEN);
      const allowed = await fetch(`${bridge.url}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(allowed.status).toBe(200);
      await allowed.arrayBuffer();
    }
    const ready = (await (await fetch(`${bridge.url}/readyz`)).json()) as Record<string, unknown>;
    expect(Object.keys(ready)).toEqual(['ready']);
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
    await bridge.stop();
    expect(lines.join('')).not.toContain(TOKEN);
  });

  it('refuses a config with a user name but no password, naming the key', () => {
    expect(() => sandboxConfig({ admin: { username: 'ops' } })).toThrow(/http\.admin\.password/);
  });
});
