import { type TokenCheck, signRecordingToken, verifyRecordingToken } from './token.js';

export interface RecordingLinkOptions {
  /** http.publicBaseUrl, or the bridge's own address when none is set. */
  publicBaseUrl: string;
  secret: string;
  ttlHours: number;
}

/**
 * The bridge's links to local recordings: made by the normalizer, made again by the submitter when a row
 * waited longer than a link lives, checked by the recordings route, counted by `parse`. One object, so that
 * what one part signs, the others recognise.
 */
export class RecordingLinks {
  /** Every link this bridge makes starts with this. */
  readonly prefix: string;

  constructor(private readonly opts: RecordingLinkOptions) {
    this.prefix = `${opts.publicBaseUrl.replace(/\/+$/, '')}/recordings/`;
  }

  /** A link to the recording of ledger row `externalId`, valid `ttlHours` from `issuedAtMs`. */
  url(externalId: string, issuedAtMs = Date.now()): string {
    const exp = Math.floor(issuedAtMs / 1000 + this.opts.ttlHours * 3600);
    return `${this.prefix}${signRecordingToken({ id: externalId, exp }, this.opts.secret)}`;
  }

  isOwn(url: string): boolean {
    return url.startsWith(this.prefix);
  }

  /** The payload with its recording link signed anew when the link is ours; other URLs pass unchanged. */
  refresh<P extends { call_recording_url: string }>(payload: P, externalId: string, nowMs = Date.now()): P {
    return this.isOwn(payload.call_recording_url) ? { ...payload, call_recording_url: this.url(externalId, nowMs) } : payload;
  }

  verify(token: string, nowMs = Date.now()): TokenCheck {
    return verifyRecordingToken(token, this.opts.secret, nowMs);
  }
}
