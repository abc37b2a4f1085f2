import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyRecordingToken } from '../../src/recordings/token.js';
import { type RecordingRules, resolveRecording } from '../../src/pipeline/recording.js';
import { IncompleteAudioHeaderError, UnknownAudioFormatError, readChannelCount } from '../../src/recordings/audio.js';
import { writeMp3, writeWav } from './audio-files.js';
import { RecordingLinks } from '../../src/recordings/links.js';

let dir: string;
let roots: string;
const secret = 'test-signing-secret-0123456789';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cb-recording-'));
  roots = path.join(dir, 'monitor');
  mkdirSync(roots);
  writeWav(path.join(roots, 'mono.wav'), 1);
  writeWav(path.join(roots, 'stereo.wav'), 2);
  writeMp3(path.join(roots, 'mono.mp3'), 1);
  writeMp3(path.join(roots, 'stereo.mp3'), 2);
  writeFileSync(path.join(roots, 'empty.wav'), '');
  writeFileSync(path.join(roots, 'notes.txt'), 'this is not audio at all\n');
  // A WAV whose writer has put out only the first bytes of the header.
  writeFileSync(path.join(roots, 'partial.wav'), Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt ', 'latin1'));
  writeWav(path.join(dir, 'outside.wav'), 1);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('readChannelCount (music-metadata over real files)', () => {
  it.each([
    ['mono.wav', 1],
    ['stereo.wav', 2],
    ['mono.mp3', 1],
    ['stereo.mp3', 2],
  ])('%s has %i channel(s)', async (name, channels) => {
    expect(await readChannelCount(path.join(roots, name))).toBe(channels);
  });

  it('tells not-audio from a header still being written', async () => {
    await expect(readChannelCount(path.join(roots, 'notes.txt'))).rejects.toBeInstanceOf(UnknownAudioFormatError);
    await expect(readChannelCount(path.join(roots, 'partial.wav'))).rejects.toBeInstanceOf(IncompleteAudioHeaderError);
  });
});

describe('resolveRecording', () => {
  const end = Date.parse('2024-06-01T10:05:00Z');
  let rules: RecordingRules;
  beforeAll(() => {
    rules = {
      links: new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com/', secret, ttlHours: 72 }),
      linkClock: 'now',
      roots: [roots],
      upload: false,
      waitMinutes: 30,
      retrySeconds: 60,
      skipNoRecording: true,
    };
  });
  const call = (recording?: { url?: string; path?: string; stereo?: boolean }) => ({ externalId: 'call-1', recording });

  it('a remote URL passes through; stereo as the PBX says', async () => {
    expect(await resolveRecording(call({ url: 'https://api.twilio.com/rec/RE1.wav', stereo: true }), end, end, rules)).toEqual({
      kind: 'ok',
      url: 'https://api.twilio.com/rec/RE1.wav',
      stereo: true,
    });
    expect(await resolveRecording(call({ url: 'http://pbx.example.com/r.mp3' }), end, end, rules)).toEqual({ kind: 'ok', url: 'http://pbx.example.com/r.mp3', stereo: false });
  });

  it('refuses a URL Dstny cannot fetch', async () => {
    expect(await resolveRecording(call({ url: 'ftp://pbx/r.wav' }), end, end, rules)).toEqual({ kind: 'rejected', reason: 'recording URL is not an http(s) URL: ftp://pbx/r.wav' });
    expect((await resolveRecording(call({ url: 'file:///var/spool/r.wav' }), end, end, rules)).kind).toBe('rejected');
  });

  it.each([
    ['mono.wav', false],
    ['stereo.wav', true],
    ['mono.mp3', false],
    ['stereo.mp3', true],
  ])('local %s: a signed link naming the call, stereo %s from the header', async (name, stereo) => {
    const now = end + 5_000;
    // The PBX's claim loses to the header.
    const got = await resolveRecording(call({ path: path.join(roots, name), stereo: !stereo }), end, now, rules);
    expect(got.kind).toBe('ok');
    if (got.kind !== 'ok') return;
    expect(got.stereo).toBe(stereo);
    expect(got.url).toMatch(/^https:\/\/bridge\.example\.com\/recordings\/[\w-]+\.[\w-]+$/);
    expect(got.url).not.toContain(name);
    const token = got.url.split('/').pop() as string;
    expect(verifyRecordingToken(token, secret, now)).toEqual({ ok: true, claim: { id: 'call-1', exp: Math.floor(now / 1000) + 72 * 3600 } });
  });

  it('a relative path is looked up under the roots, like the server does', async () => {
    expect((await resolveRecording(call({ path: 'stereo.wav' }), end, end, rules)).kind).toBe('ok');
  });

  it('call-end clock: the link depends only on the call (stable output)', async () => {
    const r = { ...rules, linkClock: 'call-end' as const };
    const a = await resolveRecording(call({ path: 'mono.wav' }), end, end + 1_000, r);
    const b = await resolveRecording(call({ path: 'mono.wav' }), end, end + 999_000, r);
    expect(a).toEqual(b);
    const token = (a as { url: string }).url.split('/').pop() as string;
    expect(verifyRecordingToken(token, secret, end)).toEqual({ ok: true, claim: { id: 'call-1', exp: Math.floor(end / 1000) + 72 * 3600 } });
  });

  it('a file not there yet is held, re-tried, then rejected after recordingWaitMinutes', async () => {
    const missing = call({ path: path.join(roots, 'later.wav') });
    expect(await resolveRecording(missing, end, end + 60_000, rules)).toEqual({
      kind: 'held',
      reason: `recording ${path.join(roots, 'later.wav')} is not there yet (waiting until 2024-06-01T10:35:00.000Z)`,
      retryAt: end + 120_000,
    });
    // The last look is at the deadline, not after it.
    expect(await resolveRecording(missing, end, end + 29.5 * 60_000, rules)).toMatchObject({ kind: 'held', retryAt: end + 30 * 60_000 });
    expect(await resolveRecording(missing, end, end + 30 * 60_000, rules)).toEqual({
      kind: 'rejected',
      reason: `recording ${path.join(roots, 'later.wav')} is still not there 30 minutes after the call ended`,
    });
  });

  it('an empty file or a half-written header is waited for too', async () => {
    expect(await resolveRecording(call({ path: 'empty.wav' }), end, end, rules)).toMatchObject({ kind: 'held', reason: expect.stringContaining('is empty so far') });
    expect(await resolveRecording(call({ path: 'partial.wav' }), end, end, rules)).toMatchObject({ kind: 'held', reason: expect.stringContaining('header does not give a channel count yet') });
    expect(await resolveRecording(call({ path: 'partial.wav' }), end, end + 31 * 60_000, rules)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('is still not readable audio') });
  });

  it('a file that is not audio is rejected at once', async () => {
    expect(await resolveRecording(call({ path: 'notes.txt' }), end, end, rules)).toEqual({
      kind: 'rejected',
      reason: 'recording notes.txt is not audio the bridge can read: not a recognised audio format (Failed to determine audio format)',
    });
  });

  it('a file outside recordings.roots (or no roots at all) is refused: the server would not serve it', async () => {
    expect(await resolveRecording(call({ path: path.join(dir, 'outside.wav') }), end, end, rules)).toEqual({
      kind: 'rejected',
      reason: `recording ${path.join(dir, 'outside.wav')} is outside recordings.roots (${roots})`,
    });
    expect(await resolveRecording(call({ path: path.join(roots, 'mono.wav') }), end, end, { ...rules, roots: [] })).toEqual({
      kind: 'rejected',
      reason: `recording ${path.join(roots, 'mono.wav')} is a local file, but recordings.roots names no folder the bridge may serve it from`,
    });
  });

  it('no recording: skipped, or left for the payload check when the filter is off', async () => {
    expect(await resolveRecording(call(), end, end, rules)).toEqual({ kind: 'skip', reason: 'no recording' });
    expect(await resolveRecording(call({ url: '  ' }), end, end, { ...rules, skipNoRecording: false })).toEqual({ kind: 'none' });
  });
});
