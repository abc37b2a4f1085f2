import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring recording links. The token names a ledger row (its external id), never a path:
 * the server looks the path up in the row, so a request can never choose which file is read.
 *
 * token = base64url(JSON {id, exp}) "." base64url(HMAC-SHA256(secret, first part))
 */
export interface RecordingClaim {
  /** External id of the ledger row whose recording is served. */
  id: string;
  /** Expiry, unix seconds. */
  exp: number;
}

export function signRecordingToken(claim: RecordingClaim, secret: string): string {
  const body = Buffer.from(JSON.stringify({ id: claim.id, exp: claim.exp })).toString('base64url');
  return `${body}.${mac(body, secret)}`;
}

export type TokenCheck = { ok: true; claim: RecordingClaim } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

export function verifyRecordingToken(token: string, secret: string, nowMs = Date.now()): TokenCheck {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(body, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad-signature' };
  let claim: unknown;
  try {
    claim = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const c = claim as Partial<RecordingClaim>;
  if (typeof c.id !== 'string' || typeof c.exp !== 'number') return { ok: false, reason: 'malformed' };
  if (c.exp * 1000 < nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, claim: { id: c.id, exp: c.exp } };
}

function mac(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}
