import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HookAuth } from '../sources/config.js';

/**
 * Per-source authentication of PBX hooks. Every comparison is constant-time, and no answer or log line carries
 * a secret or what the client sent: messages only say which part is missing or wrong.
 */
export type AuthResult =
  | { ok: true }
  | {
      ok: false;
      /** 401: no or wrong credentials. 403: the credentials are right but the request is refused (stale HMAC timestamp). */
      status: 401 | 403;
      message: string;
      /** WWW-Authenticate value for 401 answers (bearer and basic). */
      challenge?: string;
    };

export interface AuthRequest {
  header(name: string): string | undefined;
  /** The URL the sender called, as it saw it (Twilio signs it): the public base URL + the path and query. */
  publicUrl?: string;
}

const REALM = 'realm="callbridge"';

/** HMAC covers the body, so it can only be checked after the body is read; bearer and basic are checked before. */
export function authNeedsBody(auth: HookAuth): boolean {
  return auth.type === 'hmac' || auth.type === 'twilio';
}

export function checkHookAuth(auth: HookAuth, req: AuthRequest, body: Buffer | null, nowMs: number = Date.now()): AuthResult {
  switch (auth.type) {
    case 'none':
      return { ok: true };
    case 'bearer':
      return checkBearer(auth.token, req.header('authorization'));
    case 'basic':
      return checkBasic(auth.username, auth.password, req.header('authorization'));
    case 'hmac':
      return checkHmac(auth, req, body ?? Buffer.alloc(0), nowMs);
    case 'twilio':
      return checkTwilio(auth.authToken, req, body ?? Buffer.alloc(0));
  }
}

/**
 * Twilio's request validation: X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL + each form field's name and
 * value, sorted by name)). The URL is the one Twilio called; a default port may or may not be in it.
 */
function checkTwilio(authToken: string, req: AuthRequest, body: Buffer): AuthResult {
  const given = req.header('x-twilio-signature');
  if (!given) return { ok: false, status: 401, message: 'missing X-Twilio-Signature' };
  if (!req.publicUrl) return { ok: false, status: 401, message: 'the request URL is unknown: set http.publicBaseUrl to the URL Twilio calls' };
  const fields = [...new URLSearchParams(body.toString('utf8'))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signed = fields.map(([k, v]) => k + v).join('');
  const url = new URL(req.publicUrl);
  const rest = `${url.pathname}${url.search}`;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const candidates = new Set([req.publicUrl, `${url.protocol}//${url.hostname}${rest}`, `${url.protocol}//${url.hostname}:${port}${rest}`]);
  for (const candidate of candidates) {
    if (safeEqual(given.trim(), twilioSignature(authToken, candidate, signed))) return { ok: true };
  }
  return { ok: false, status: 401, message: 'X-Twilio-Signature does not match (check the auth token and http.publicBaseUrl)' };
}

/** base64(HMAC-SHA1(token, url + concatenated sorted fields)), as Twilio computes it. */
export function twilioSignature(authToken: string, url: string, sortedFields: string): string {
  return createHmac('sha1', authToken).update(url + sortedFields).digest('base64');
}

/** `Authorization: Bearer <token>`, compared in constant time; `realm` names the protected area in the challenge. */
export function checkBearer(token: string, header: string | undefined, realm: string = REALM): AuthResult {
  const challenge = `Bearer ${realm}`;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  if (!match?.[1]) return { ok: false, status: 401, message: 'missing bearer token (Authorization: Bearer <token>)', challenge };
  if (!safeEqual(match[1], token)) return { ok: false, status: 401, message: 'the bearer token is not valid', challenge: `${challenge}, error="invalid_token"` };
  return { ok: true };
}

/** `Authorization: Basic <base64(user:password)>`, both parts compared in constant time. */
export function checkBasic(username: string, password: string, header: string | undefined, realm: string = REALM): AuthResult {
  const challenge = `Basic ${realm}, charset="UTF-8"`;
  const match = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(header ?? '');
  if (!match?.[1]) return { ok: false, status: 401, message: 'missing basic authentication (Authorization: Basic ...)', challenge };
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const pass = colon < 0 ? '' : decoded.slice(colon + 1);
  // Both compared every time (no short-circuit), so timing says nothing about which one was wrong.
  const userOk = safeEqual(user, username);
  const passOk = safeEqual(pass, password);
  if (!(userOk && passOk)) return { ok: false, status: 401, message: 'the user name or password is not valid', challenge };
  return { ok: true };
}

function checkHmac(auth: Extract<HookAuth, { type: 'hmac' }>, req: AuthRequest, body: Buffer, nowMs: number): AuthResult {
  const sigHeader = req.header(auth.signatureHeader);
  const tsHeader = req.header(auth.timestampHeader);
  if (!sigHeader) return { ok: false, status: 401, message: `missing signature header ${auth.signatureHeader}` };
  if (!tsHeader || !/^\d{1,12}$/.test(tsHeader.trim())) {
    return { ok: false, status: 401, message: `missing or malformed timestamp header ${auth.timestampHeader} (unix seconds)` };
  }
  const timestamp = tsHeader.trim();
  const given = sigHeader.trim().replace(/^sha256=/i, '').toLowerCase();
  const expected = hmacSignature(auth.secret, timestamp, body);
  if (!safeEqual(given, expected)) {
    return { ok: false, status: 401, message: `the signature in ${auth.signatureHeader} does not match (HMAC-SHA256 of "<timestamp>.<body>")` };
  }
  const skewSec = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skewSec > auth.toleranceSec) {
    return {
      ok: false,
      status: 403,
      message: `the timestamp is ${Math.round(skewSec)} s away from the bridge's clock (allowed: ${auth.toleranceSec} s); refused as a possible replay`,
    };
  }
  return { ok: true };
}

/**
 * What identifies one signed request, for refusing the exact same request again inside its timestamp window:
 * for HMAC sources the signature (it covers the timestamp and the body, so a new request has a new one; the scheme
 * has no delivery id header). Call only once checkHookAuth accepted the request. null for schemes without a
 * timestamp window (bearer, basic, none, and Twilio, whose signature covers only the URL and the fields: the same
 * callback legitimately repeats it, and with no window it could not be forgotten): their repeats reach the ledger,
 * which answers them as duplicates.
 */
export function signedRequestId(auth: HookAuth, req: AuthRequest): string | null {
  if (auth.type !== 'hmac') return null;
  const sig = req.header(auth.signatureHeader)?.trim().replace(/^sha256=/i, '').toLowerCase();
  return sig ? `hmac-sha256:${sig}` : null;
}

/** `hex(HMAC-SHA256(secret, "<timestamp>.<raw body>"))`, what a sender puts after `sha256=`. */
export function hmacSignature(secret: string, timestamp: string, body: Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** Constant-time equality for strings of any length: compares fixed-size digests. */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}
