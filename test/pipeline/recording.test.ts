import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyRecordingToken } from '../../src/recordings/token.js';
import { type RecordingRules, resolveRecording } from '../../src/pipeline/recording.js';
import { IncompleteAudioHeaderError, UnknownAudioFormatError, readAudioFormat } from '../../src/recordings/audio.js';
import { writeMp3, writeWav } from './audio-files.js';
import { RecordingLinks } from '../../src/recordings/links.js';
import { pairPaths } from '../../src/recordings/pair.js';
import { FF, sh, toneFile } from '../support/audio.js';

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

describe('readAudioFormat (music-metadata over real files)', () => {
  it.each([
    ['mono.wav', 1],
    ['stereo.wav', 2],
    ['mono.mp3', 1],
    ['stereo.mp3', 2],
  ])('%s has %i channel(s)', async (name, channels) => {
    expect((await readAudioFormat(path.join(roots, name))).channels).toBe(channels);
  });

  it('tells not-audio from a header still being written', async () => {
    await expect(readAudioFormat(path.join(roots, 'notes.txt'))).rejects.toBeInstanceOf(UnknownAudioFormatError);
    await expect(readAudioFormat(path.join(roots, 'partial.wav'))).rejects.toBeInstanceOf(IncompleteAudioHeaderError);
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
      convert: 'off',
      waitMinutes: 30,
      retrySeconds: 60,
      skipNoRecording: true,
    };
  });
  const call = (recording?: { url?: string; path?: string; stereo?: boolean }) => ({ externalId: 'call-1', recording });

  it('a remote URL passes through; stereo as the PBX says', async () => {
    expect(await resolveRecording(call({ url: 'https://api.twilio.com/rec/RE1.wav', stereo: true }), 'incoming', end, end, rules)).toEqual({
      kind: 'ok',
      url: 'https://api.twilio.com/rec/RE1.wav',
      stereo: true,
    });
    expect(await resolveRecording(call({ url: 'http://pbx.example.com/r.mp3' }), 'incoming', end, end, rules)).toEqual({ kind: 'ok', url: 'http://pbx.example.com/r.mp3', stereo: false });
  });

  it('refuses a URL Dstny cannot fetch', async () => {
    expect(await resolveRecording(call({ url: 'ftp://pbx/r.wav' }), 'incoming', end, end, rules)).toEqual({ kind: 'rejected', reason: 'recording URL is not an http(s) URL: ftp://pbx/r.wav' });
    expect((await resolveRecording(call({ url: 'file:///var/spool/r.wav' }), 'incoming', end, end, rules)).kind).toBe('rejected');
  });

  it.each([
    ['mono.wav', false],
    ['stereo.wav', true],
    ['mono.mp3', false],
    ['stereo.mp3', true],
  ])('local %s: a signed link naming the call, stereo %s from the header', async (name, stereo) => {
    const now = end + 5_000;
    // The PBX's claim loses to the header.
    const got = await resolveRecording(call({ path: path.join(roots, name), stereo: !stereo }), 'incoming', end, now, rules);
    expect(got.kind).toBe('ok');
    if (got.kind !== 'ok') return;
    expect(got.stereo).toBe(stereo);
    expect(got.url).toMatch(/^https:\/\/bridge\.example\.com\/recordings\/[\w-]+\.[\w-]+$/);
    expect(got.url).not.toContain(name);
    const token = got.url.split('/').pop() as string;
    expect(verifyRecordingToken(token, secret, now)).toEqual({ ok: true, claim: { id: 'call-1', exp: Math.floor(now / 1000) + 72 * 3600 } });
  });

  it('a relative path is looked up under the roots, like the server does', async () => {
    expect((await resolveRecording(call({ path: 'stereo.wav' }), 'incoming', end, end, rules)).kind).toBe('ok');
  });

  it('call-end clock: the link depends only on the call (stable output)', async () => {
    const r = { ...rules, linkClock: 'call-end' as const };
    const a = await resolveRecording(call({ path: 'mono.wav' }), 'incoming', end, end + 1_000, r);
    const b = await resolveRecording(call({ path: 'mono.wav' }), 'incoming', end, end + 999_000, r);
    expect(a).toEqual(b);
    const token = (a as { url: string }).url.split('/').pop() as string;
    expect(verifyRecordingToken(token, secret, end)).toEqual({ ok: true, claim: { id: 'call-1', exp: Math.floor(end / 1000) + 72 * 3600 } });
  });

  it('a file not there yet is held, re-tried, then rejected after recordingWaitMinutes', async () => {
    const missing = call({ path: path.join(roots, 'later.wav') });
    expect(await resolveRecording(missing, 'incoming', end, end + 60_000, rules)).toEqual({
      kind: 'held',
      reason: `recording ${path.join(roots, 'later.wav')} is not there yet (waiting until 2024-06-01T10:35:00.000Z)`,
      retryAt: end + 120_000,
    });
    // The last look is at the deadline, not after it.
    expect(await resolveRecording(missing, 'incoming', end, end + 29.5 * 60_000, rules)).toMatchObject({ kind: 'held', retryAt: end + 30 * 60_000 });
    expect(await resolveRecording(missing, 'incoming', end, end + 30 * 60_000, rules)).toEqual({
      kind: 'rejected',
      reason: `recording ${path.join(roots, 'later.wav')} is still not there 30 minutes after the call ended`,
    });
  });

  it('an empty file or a half-written header is waited for too', async () => {
    expect(await resolveRecording(call({ path: 'empty.wav' }), 'incoming', end, end, rules)).toMatchObject({ kind: 'held', reason: expect.stringContaining('is empty so far') });
    expect(await resolveRecording(call({ path: 'partial.wav' }), 'incoming', end, end, rules)).toMatchObject({ kind: 'held', reason: expect.stringContaining('header does not give a channel count yet') });
    expect(await resolveRecording(call({ path: 'partial.wav' }), 'incoming', end, end + 31 * 60_000, rules)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('is still not readable audio') });
  });

  it('a file that is not audio is rejected at once', async () => {
    expect(await resolveRecording(call({ path: 'notes.txt' }), 'incoming', end, end, rules)).toEqual({
      kind: 'rejected',
      reason: 'recording notes.txt is not audio the bridge can read: not a recognised audio format (Failed to determine audio format)',
    });
  });

  it('a file outside recordings.roots (or no roots at all) is refused: the server would not serve it', async () => {
    expect(await resolveRecording(call({ path: path.join(dir, 'outside.wav') }), 'incoming', end, end, rules)).toEqual({
      kind: 'rejected',
      reason: `recording ${path.join(dir, 'outside.wav')} is outside recordings.roots (${roots})`,
    });
    expect(await resolveRecording(call({ path: path.join(roots, 'mono.wav') }), 'incoming', end, end, { ...rules, roots: [] })).toEqual({
      kind: 'rejected',
      reason: `recording ${path.join(roots, 'mono.wav')} is a local file, but recordings.roots names no folder the bridge may serve it from`,
    });
  });

  it('no recording: skipped, or left for the payload check when the filter is off', async () => {
    expect(await resolveRecording(call(), 'incoming', end, end, rules)).toEqual({ kind: 'skip', reason: 'no recording' });
    expect(await resolveRecording(call({ url: '  ' }), 'incoming', end, end, { ...rules, skipNoRecording: false })).toEqual({ kind: 'none' });
  });

  describe('recordings.split and recordings.convert (files made by ffmpeg)', () => {
    const split = { participant: { incoming: '{dir}/{name}-rx{ext}', outgoing: '{dir}/{name}-tx{ext}' }, owner: { incoming: '{dir}/{name}-tx{ext}', outgoing: '{dir}/{name}-rx{ext}' } };
    beforeAll(async () => {
      await toneFile(path.join(roots, 'two-rx.wav'), 440, 1, 8000);
      await toneFile(path.join(roots, 'two-tx.wav'), 1000, 1, 8000);
      await toneFile(path.join(roots, 'one-rx.wav'), 440, 1, 8000);
      await toneFile(path.join(roots, 'alaw.wav'), 440, 1, 8000, ['-c:a', 'pcm_alaw']);
      await toneFile(path.join(roots, 'gsm49.wav'), 440, 1, 8000, ['-c:a', 'gsm_ms']);
      await sh('ffmpeg', [...FF, '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1:sample_rate=8000', '-ac', '1', '-f', 'gsm', path.join(roots, 'raw.gsm')]);
    });

    it('both files of a pair there: stereo, made ready by a merge, whatever the PBX\'s own mix is', async () => {
      for (const direction of ['incoming', 'outgoing'] as const) {
        const got = await resolveRecording(call({ path: path.join(roots, 'two.wav') }), direction, end, end, { ...rules, split });
        expect(got).toMatchObject({ kind: 'ok', stereo: true, local: true, work: 'merge' });
      }
    });

    it('only one file of the pair: the PBX\'s own recording as before', async () => {
      expect(await resolveRecording(call({ path: path.join(roots, 'one.wav') }), 'incoming', end, end, { ...rules, split })).toMatchObject({
        kind: 'held',
        reason: expect.stringContaining('one.wav is not there yet'),
      });
      const mono = await resolveRecording(call({ path: path.join(roots, 'mono.wav') }), 'incoming', end, end, { ...rules, split });
      expect(mono).toMatchObject({ kind: 'ok', stereo: false });
      expect(mono).not.toHaveProperty('work');
    });

    it('telephone encodings are converted when recordings.convert is on, and sent as they are when it is off', async () => {
      for (const name of ['alaw.wav', 'gsm49.wav', 'raw.gsm']) {
        expect(await resolveRecording(call({ path: name }), 'incoming', end, end, { ...rules, convert: 'wav' })).toMatchObject({ kind: 'ok', stereo: false, work: 'convert' });
      }
      expect(await resolveRecording(call({ path: 'mono.wav' }), 'incoming', end, end, { ...rules, convert: 'mp3' })).not.toHaveProperty('work');
      expect(await resolveRecording(call({ path: 'mono.mp3' }), 'incoming', end, end, { ...rules, convert: 'wav' })).not.toHaveProperty('work');
      expect(await resolveRecording(call({ path: 'alaw.wav' }), 'incoming', end, end, rules)).not.toHaveProperty('work');
      // Without a conversion a raw GSM file cannot be sent: its name is all that says it is audio.
      expect(await resolveRecording(call({ path: 'raw.gsm' }), 'incoming', end, end, rules)).toMatchObject({ kind: 'rejected' });
    });
  });
});

describe('pairPaths', () => {
  it('renders the pair from the call\'s recording path, the sides by direction, internal calls as outgoing', () => {
    const split = { participant: { incoming: '{dir}/{name}-t{ext}', outgoing: '{dir}/{name}-r{ext}' }, owner: '{dir}/out/{name}.sln' };
    expect(pairPaths('/var/spool/asterisk/monitor/2024/06/01/q-1001.wav', split, 'incoming')).toEqual({
      participant: '/var/spool/asterisk/monitor/2024/06/01/q-1001-t.wav',
      owner: '/var/spool/asterisk/monitor/2024/06/01/out/q-1001.sln',
    });
    expect(pairPaths('2024/q-1001.WAV', split, 'outgoing').participant).toBe('2024/q-1001-r.WAV');
    expect(pairPaths('2024/q-1001.WAV', split, 'internal').participant).toBe('2024/q-1001-r.WAV');
  });
});
