import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordingUrl } from '../http/recording-token.js';
import type { CallRecord } from './call-record.js';
import { readChannelCount } from './stereo.js';

export interface RecordingRules {
  /** Base of the bridge's public URL (http.publicBaseUrl). */
  publicBaseUrl: string;
  signingSecret: string;
  linkTtlHours: number;
  /**
   * When a link's lifetime starts: `now` (the bridge: the link is made just before it is stored) or
   * `call-end` (parse mode and goldens: the same input always gives the same link).
   */
  linkClock: 'now' | 'call-end';
  /** recordings.roots: a local file outside these folders would be refused by the server, so it is refused here. Empty: any. */
  roots: string[];
  waitMinutes: number;
  retrySeconds: number;
  skipNoRecording: boolean;
}

export interface RecordingIo {
  /** Size of a regular file, or undefined when there is none. */
  fileSize(file: string): Promise<number | undefined>;
  channelCount(file: string): Promise<number | undefined>;
}

export const fsRecordingIo: RecordingIo = {
  async fileSize(file) {
    try {
      const s = await stat(file);
      return s.isFile() ? s.size : undefined;
    } catch {
      return undefined;
    }
  },
  channelCount: readChannelCount,
};

export type RecordingDecision =
  | { kind: 'ok'; url: string; stereo: boolean }
  /** No recording and the no-recording filter is off: the payload check will name the missing field. */
  | { kind: 'none' }
  | { kind: 'skip'; reason: string }
  | { kind: 'held'; reason: string; retryAt: number }
  | { kind: 'rejected'; reason: string };

/**
 * Where Dstny fetches the recording. A remote http(s) URL passes through (stereo as the PBX says);
 * a local file becomes a signed link naming the call (never the path) and its header tells stereo.
 * A local file that is not there yet (PBXs finish writing after the CDR) is held until `waitMinutes`
 * after the call's end, then rejected.
 */
export async function resolveRecording(
  call: Pick<CallRecord, 'externalId' | 'recording'>,
  endMs: number,
  now: number,
  rules: RecordingRules,
  io: RecordingIo = fsRecordingIo,
): Promise<RecordingDecision> {
  const rec = call.recording;
  const url = rec?.url?.trim();
  let local = rec?.path?.trim();
  if (url && /^file:/i.test(url)) local ??= safeFileUrlPath(url);
  else if (url) {
    if (!/^https?:\/\//i.test(url)) return { kind: 'rejected', reason: `recording URL is not http(s): ${truncate(url)}` };
    return { kind: 'ok', url, stereo: rec?.stereo === true };
  }
  if (!local) return rules.skipNoRecording ? { kind: 'skip', reason: 'no recording' } : { kind: 'none' };

  // Messages name the path as the PBX wrote it; the file is looked up at its absolute path.
  const file = path.resolve(local);
  if (rules.roots.length && !rules.roots.some((root) => isInside(file, path.resolve(root)))) {
    return { kind: 'rejected', reason: `recording ${local} is outside recordings.roots (${rules.roots.join(', ')})` };
  }
  const deadline = endMs + rules.waitMinutes * 60_000;
  const notYet = (held: string, rejected: string): RecordingDecision =>
    now < deadline
      ? {
          kind: 'held',
          reason: `recording ${local} ${held} (waiting until ${new Date(deadline).toISOString()})`,
          retryAt: Math.min(now + rules.retrySeconds * 1000, deadline),
        }
      : { kind: 'rejected', reason: `recording ${local} ${rejected} ${formatMinutes(rules.waitMinutes)} after the call ended` };

  const size = await io.fileSize(file);
  if (size === undefined) return notYet('is not there yet', 'is still not there');
  if (size === 0) return notYet('is empty so far', 'is still empty');
  let channels: number | undefined;
  try {
    channels = await io.channelCount(file);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return notYet(`is not readable audio yet (${why})`, `is still not readable audio (${why})`);
  }
  const issuedAt = rules.linkClock === 'call-end' ? endMs : now;
  return {
    kind: 'ok',
    url: recordingUrl(rules.publicBaseUrl, call.externalId, rules.signingSecret, rules.linkTtlHours, issuedAt),
    // The file's header is the truth; the PBX's claim only counts when the header does not say.
    stereo: channels !== undefined ? channels >= 2 : rec?.stereo === true,
  };
}

function safeFileUrlPath(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}

function isInside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function formatMinutes(minutes: number): string {
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
