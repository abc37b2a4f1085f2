import { describe, expect, it } from '@jest/globals';
import { checkHookAuth, hmacSignature, safeEqual } from '../../src/http/auth.js';
import type { HookAuth } from '../../src/sources/config.js';

const req = (headers: Record<string, string>) => ({ header: (name: string) => headers[name.toLowerCase()] });
const hmac: HookAuth = { type: 'hmac', secret: 'hmac-secret-0123456789', signatureHeader: 'x-sig', timestampHeader: 'x-ts', toleranceSec: 300 };

describe('hook authentication', () => {
  it('compares strings of any length without throwing', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', 'x')).toBe(false);
  });

  it('bearer: the scheme is case-insensitive, the token is not', () => {
    const auth: HookAuth = { type: 'bearer', token: 'Token-0123456789abcdef' };
    expect(checkHookAuth(auth, req({ authorization: 'bearer Token-0123456789abcdef' }), null)).toEqual({ ok: true });
    expect(checkHookAuth(auth, req({ authorization: 'Bearer token-0123456789abcdef' }), null)).toMatchObject({ ok: false, status: 401 });
  });

  it('basic: a password containing colons is taken whole', () => {
    const auth: HookAuth = { type: 'basic', username: 'pbx', password: 'pa:ss:word' };
    const header = `Basic ${Buffer.from('pbx:pa:ss:word').toString('base64')}`;
    expect(checkHookAuth(auth, req({ authorization: header }), null)).toEqual({ ok: true });
  });

  it('HMAC: accepts sha256=<hex> or bare hex over "<timestamp>.<body>", inside the window only', () => {
    const body = Buffer.from('{"a":1}');
    const now = 1_700_000_000_000;
    const ts = String(now / 1000);
    const sig = hmacSignature('hmac-secret-0123456789', ts, body);
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(checkHookAuth(hmac, req({ 'x-sig': `sha256=${sig}`, 'x-ts': ts }), body, now)).toEqual({ ok: true });
    expect(checkHookAuth(hmac, req({ 'x-sig': sig.toUpperCase(), 'x-ts': ts }), body, now)).toEqual({ ok: true });
    expect(checkHookAuth(hmac, req({ 'x-sig': sig, 'x-ts': ts }), body, now + 300_000)).toEqual({ ok: true });
    expect(checkHookAuth(hmac, req({ 'x-sig': sig, 'x-ts': ts }), body, now + 301_000)).toMatchObject({ ok: false, status: 403 });
    expect(checkHookAuth(hmac, req({ 'x-sig': sig, 'x-ts': `${ts}.5` }), body, now)).toMatchObject({ ok: false, status: 401 });
    expect(checkHookAuth(hmac, req({ 'x-sig': sig, 'x-ts': ts }), Buffer.from('{"a":2}'), now)).toMatchObject({ ok: false, status: 401 });
  });

  it('never puts the secret or the credentials it was sent into a message', () => {
    const auth: HookAuth = { type: 'bearer', token: 'Token-0123456789abcdef' };
    const result = checkHookAuth(auth, req({ authorization: 'Bearer Token-0123456789abcdeX' }), null);
    expect(JSON.stringify(result)).not.toMatch(/Token-0123456789abcde/);
  });
});
