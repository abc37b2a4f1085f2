import type { CallRecord } from '../../adapters/call-record.js';
import { rawFormatOf } from '../recordings/audio-tool.js';
import { type AudioFormat, UnknownAudioFormatError, needsConversion, readAudioFormat } from '../recordings/audio.js';
import type { RecordingsConfig } from '../recordings/config.js';
import type { RecordingLinks } from '../recordings/links.js';
import { type LocatedRecording, locateRecording } from '../recordings/locate.js';
import { pairPaths } from '../recordings/pair.js';

export interface RecordingRules {
  links: Pick<RecordingLinks, 'url'>;
  /**
   * When a link's lifetime starts: `now` (the bridge: the link is made just before it is stored) or
   * `call-end` (parse mode and goldens: the same input always gives the same link).
   */
  linkClock: 'now' | 'call-end';
  /** recordings.roots: the only folders the bridge serves recordings from. */
  roots: readonly string[];
  waitMinutes: number;
  retrySeconds: number;
  skipNoRecording: boolean;
  /** recordings.delivery is upload: a call with a local recording waits for its copy in the bucket before it is sent. */
  upload: boolean;
  /** recordings.split: the call's two mono files, when both are there, are merged into one stereo file. */
  split?: RecordingsConfig['split'];
  /** recordings.convert: telephone encodings are converted before they are sent. */
  convert: RecordingsConfig['convert'];
}

export interface RecordingIo {
  /** Where the bridge's recordings server would find this path (the same rules, so a link we make is a link it serves). */
  locate(recordingPath: string, roots: readonly string[]): Promise<LocatedRecording>;
  /** Throws UnknownAudioFormatError (give up) or anything else (look again later). */
  audioFormat(file: string): Promise<AudioFormat>;
}

export const fsRecordingIo: RecordingIo = { locate: locateRecording, audioFormat: readAudioFormat };

export type RecordingDecision =
  /**
   * `local`: the url is the bridge's own link to a file here (served, or replaced by the bucket's once uploaded).
   * `work`: what the bridge makes of it before the call is sent: the stereo merge of its pair, or a conversion.
   */
  | { kind: 'ok'; url: string; stereo: boolean; local?: true; work?: 'merge' | 'convert' }
  /** No recording and the no-recording filter is off: the payload check will name the missing field. */
  | { kind: 'none' }
  | { kind: 'skip'; reason: string }
  | { kind: 'held'; reason: string; retryAt: number }
  | { kind: 'rejected'; reason: string };

/**
 * Where Dstny fetches the recording. A remote http(s) URL passes through (stereo as the PBX says);
 * a local file becomes a signed link naming the call (never the path), served by src/http/recordings.ts
 * from `recording.path` — so it must be inside recordings.roots (a relative path is looked up under each
 * root) — and its own header tells stereo. A local file that is not there yet (PBXs finish writing after
 * the CDR) is held until `waitMinutes` after the call's end, then rejected.
 */
export async function resolveRecording(
  call: Pick<CallRecord, 'externalId' | 'recording'>,
  direction: 'incoming' | 'outgoing',
  endMs: number,
  now: number,
  rules: RecordingRules,
  io: RecordingIo = fsRecordingIo,
): Promise<RecordingDecision> {
  const decided = resolveRecordingWithoutIo(call, rules);
  if (decided) return decided;
  const rec = call.recording;
  const local = rec?.path?.trim() as string;
  const issuedAt = rules.linkClock === 'call-end' ? endMs : now;
  const ours = (stereo: boolean, work?: 'merge' | 'convert'): RecordingDecision => ({
    kind: 'ok',
    local: true,
    url: rules.links.url(call.externalId, issuedAt),
    stereo,
    ...(work ? { work } : {}),
  });
  if (rules.split) {
    // Both directions there: they make a better recording than the PBX's mix, whether or not that exists.
    const pair = pairPaths(local, rules.split, direction);
    const sides = await Promise.all([io.locate(pair.participant, rules.roots), io.locate(pair.owner, rules.roots)]);
    if (sides.every((side) => side.kind === 'file' && side.size > 0)) return ours(true, 'merge');
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

  const found = await io.locate(local, rules.roots);
  if (found.kind === 'outside') return { kind: 'rejected', reason: `recording ${local} is outside recordings.roots (${rules.roots.join(', ')})` };
  if (found.kind === 'missing') return notYet('is not there yet', 'is still not there');
  if (found.size === 0) return notYet('is empty so far', 'is still empty');
  // Raw GSM and signed linear have no header to read: their names say what they are, and ffmpeg reads them so.
  if (rules.convert !== 'off' && rawFormatOf(found.file)) return ours(false, 'convert');
  let format: AudioFormat;
  try {
    format = await io.audioFormat(found.file);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (error instanceof UnknownAudioFormatError) return { kind: 'rejected', reason: `recording ${local} is not audio the bridge can read: ${why}` };
    return notYet(`is not readable audio yet (${why})`, `is still not readable audio (${why})`);
  }
  // The file's header is the truth about stereo, not the PBX's claim.
  return ours(format.channels >= 2, rules.convert !== 'off' && needsConversion(format) ? 'convert' : undefined);
}

/**
 * The decision of `resolveRecording` when it needs no look at the disk (a URL, no recording, no roots to serve
 * from); undefined for a local file, which only `resolveRecording` can judge.
 */
export function resolveRecordingWithoutIo(
  call: Pick<CallRecord, 'recording'>,
  rules: Pick<RecordingRules, 'roots' | 'skipNoRecording'>,
): RecordingDecision | undefined {
  const rec = call.recording;
  const url = rec?.url?.trim();
  if (url) {
    if (!HTTP_URL.test(url)) return { kind: 'rejected', reason: `recording URL is not an http(s) URL: ${truncate(url)}` };
    return { kind: 'ok', url, stereo: rec?.stereo === true };
  }
  const local = rec?.path?.trim();
  if (!local) return rules.skipNoRecording ? { kind: 'skip', reason: 'no recording' } : { kind: 'none' };
  if (!rules.roots.length) {
    return { kind: 'rejected', reason: `recording ${local} is a local file, but recordings.roots names no folder the bridge may serve it from` };
  }
  return undefined;
}

const HTTP_URL = /^https?:\/\/[^\s/]/i;

function formatMinutes(minutes: number): string {
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
