import { describe, expect, it } from '@jest/globals';
import { checkHookAuth, hmacSignature, safeEqual, signedRequestId, twilioSignature } from '../../src/http/auth.js';
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

  it('HMAC: one request id per signature, whatever its spelling (sha256= prefix, case, spaces); none for unsigned schemes', () => {
    const body = Buffer.from('{"a":1}');
    const sig = hmacSignature('hmac-secret-0123456789', '1700000000', body);
    const id = signedRequestId(hmac, req({ 'x-sig': `sha256=${sig}`, 'x-ts': '1700000000' }));
    expect(id).toBe(`hmac-sha256:${sig}`);
    expect(signedRequestId(hmac, req({ 'x-sig': ` SHA256=${sig.toUpperCase()} `, 'x-ts': '1700000000' }))).toBe(id);
    // Another timestamp signs differently: another request.
    const later = hmacSignature('hmac-secret-0123456789', '1700000001', body);
    expect(signedRequestId(hmac, req({ 'x-sig': later, 'x-ts': '1700000001' }))).not.toBe(id);
    expect(signedRequestId(hmac, req({}))).toBeNull();
    expect(signedRequestId({ type: 'bearer', token: 'Token-0123456789abcdef' }, req({ authorization: 'Bearer Token-0123456789abcdef' }))).toBeNull();
    expect(signedRequestId({ type: 'twilio', authToken: 'twilio-token-0123456789' }, req({ 'x-twilio-signature': 'abc=' }))).toBeNull();
  });

  it('never puts the secret or the credentials it was sent into a message', () => {
    const auth: HookAuth = { type: 'bearer', token: 'Token-0123456789abcdef' };
    const result = checkHookAuth(auth, req({ authorization: 'Bearer Token-0123456789abcdeX' }), null);
    expect(JSON.stringify(result)).not.toMatch(/Token-0123456789abcde/);
  });
});

describe('Twilio request validation (X-Twilio-Signature)', () => {
  // The example of Twilio's own request-validation docs (twilio-php): auth token 12345, this URL and these fields.
  const token = '12345';
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const fields = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
  const body = Buffer.from(new URLSearchParams(fields).toString());
  const request = (signature: string | undefined, publicUrl = url) => ({ header: (n: string) => (n.toLowerCase() === 'x-twilio-signature' ? signature : undefined), publicUrl });
  const auth = { type: 'twilio' as const, authToken: token };

  it("accepts Twilio's documented example signature", () => {
    expect(checkHookAuth(auth, request('RSOYDt4T1cUTdK1PDd93/VVr8B8='), body)).toEqual({ ok: true });
  });

  it('accepts the URL with or without its default port, as Twilio may sign either', () => {
    const signed = twilioSignature(token, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', Object.entries(fields).sort().map(([k, v]) => k + v).join(''));
    expect(checkHookAuth(auth, request(signed), body)).toEqual({ ok: true });
  });

  it('refuses a missing or wrong signature, a changed field, and another URL, without echoing anything', () => {
    expect(checkHookAuth(auth, request(undefined), body)).toMatchObject({ ok: false, status: 401, message: 'missing X-Twilio-Signature' });
    expect(checkHookAuth(auth, request('AAAAAAAAAAAAAAAAAAAAAAAAAAA='), body)).toMatchObject({ ok: false, status: 401 });
    const tampered = Buffer.from(new URLSearchParams({ ...fields, Digits: '9999' }).toString());
    expect(checkHookAuth(auth, request('RSOYDt4T1cUTdK1PDd93/VVr8B8='), tampered)).toMatchObject({ ok: false, status: 401 });
    expect(checkHookAuth(auth, request('RSOYDt4T1cUTdK1PDd93/VVr8B8=', 'https://evil.example.com/myapp.php?foo=1&bar=2'), body)).toMatchObject({ ok: false, status: 401 });
  });
});
