import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AudioConversionError, AudioToolMissingError, ffmpegTool, rawFormatOf, type AudioInput } from '../../src/recordings/audio-tool.js';
import { decode, power, probe, rms, sh, slice, toneFile, toneOf, wavHeader } from '../support/audio.js';
import { tempDir } from '../support/tmp.js';

// Real audio, made here by ffmpeg, sox and espeak-ng (CI installs all three): a missing tool fails the test.

let tmp: { dir: string; cleanup: () => void };
const at = (name: string) => path.join(tmp.dir, name);
const tool = ffmpegTool();

beforeAll(() => {
  tmp = tempDir('audio-tool-');
});
afterAll(() => tmp.cleanup());

/** A mono sine (amplitude 1/8) in the test's folder. */
const tone = (name: string, hz: number, seconds: number, rate: number, out?: string[]) => toneFile(at(name), hz, seconds, rate, out);

/**
 * The checks of a merged file: 2 channels; the participant's tone on its side all along, the owner's on the
 * other until the owner's leg ends and silence after; as long as the longer leg.
 */
async function expectMerged(
  out: string,
  o: { rate: number; participantHz: number; ownerHz: number; participantS: number; ownerS: number; participantSide: 'left' | 'right'; durationMs: number },
): Promise<void> {
  const longer = Math.max(o.participantS, o.ownerS);
  const [left, right] = await decode(out, 2, o.rate);
  const [p, w] = o.participantSide === 'left' ? [left!, right!] : [right!, left!];
  const seconds = left!.length / o.rate;
  expect(Math.abs(seconds - longer)).toBeLessThan(0.05);
  expect(Math.abs(o.durationMs / 1000 - longer)).toBeLessThan(0.05);
  const both = Math.min(o.participantS, o.ownerS);
  expect(toneOf(slice(p, o.rate, 0.2, both - 0.2), o.rate, o.participantHz, o.ownerHz)).toBe(o.participantHz);
  expect(toneOf(slice(w, o.rate, 0.2, both - 0.2), o.rate, o.participantHz, o.ownerHz)).toBe(o.ownerHz);
  // After the shorter leg: it is silent, the other goes on at its own level (padded, not truncated or faded).
  const [short, long] = o.participantS < o.ownerS ? [p, w] : [w, p];
  expect(rms(slice(short, o.rate, both + 0.05, longer))).toBeLessThan(0.002);
  const before = rms(slice(long, o.rate, 0.2, both - 0.2));
  const after = rms(slice(long, o.rate, both + 0.2, longer - 0.05));
  expect(after / before).toBeGreaterThan(0.9);
  expect(after / before).toBeLessThan(1.1);
}

describe('rawFormatOf', () => {
  it('reads Asterisk signed-linear rates and raw GSM from the name, and leaves files with a header to ffmpeg', () => {
    expect(rawFormatOf('/spool/monitor/q-in.sln')).toEqual({ kind: 'slin', sampleRate: 8000 });
    expect(rawFormatOf('a.sln16')).toEqual({ kind: 'slin', sampleRate: 16000 });
    expect(rawFormatOf('a.SLN48')).toEqual({ kind: 'slin', sampleRate: 48000 });
    expect(rawFormatOf('a.sln44')).toEqual({ kind: 'slin', sampleRate: 44100 });
    expect(rawFormatOf('a.sln192')).toEqual({ kind: 'slin', sampleRate: 192000 });
    expect(rawFormatOf('a.sln7')).toBeUndefined();
    expect(rawFormatOf('a-out.gsm')).toEqual({ kind: 'gsm' });
    expect(rawFormatOf('a.WAV')).toBeUndefined();
    expect(rawFormatOf('a.wav49')).toBeUndefined();
    expect(rawFormatOf('a.mp3')).toBeUndefined();
    expect(rawFormatOf('sln')).toBeUndefined();
  });
});

describe('ffmpegTool', () => {
  it('says which ffmpeg it runs', async () => {
    expect(await tool.version()).toMatch(/^ffmpeg version \S+$/);
  });

  describe('mergeToStereo', () => {
    let participant: string;
    let owner: string;
    beforeAll(async () => {
      participant = await tone('p440.wav', 440, 5, 8000);
      owner = await tone('o1000.wav', 1000, 3, 8000);
    });

    it.each(['left', 'right'] as const)('puts the participant on the %s, the owner on the other side, and pads the shorter leg with silence', async (side) => {
      const out = at(`merged-${side}.wav`);
      const { durationMs } = await tool.mergeToStereo({ participant: { file: participant }, owner: { file: owner }, participantChannel: side, out, format: 'wav' });
      const h = wavHeader(out);
      expect(h).toMatchObject({ format: 1, channels: 2, sampleRate: 8000, bits: 16 });
      expect(Math.abs(h.seconds - 5)).toBeLessThan(0.05);
      await expectMerged(out, { rate: 8000, participantHz: 440, ownerHz: 1000, participantS: 5, ownerS: 3, participantSide: side, durationMs });
    });

    it('takes the higher sample rate of two legs (8 kHz and 16 kHz), whichever is longer', async () => {
      const p = await tone('p8k.wav', 440, 2, 8000);
      const o = await tone('o16k.wav', 1000, 4, 16000);
      const out = at('rates.wav');
      const { durationMs } = await tool.mergeToStereo({ participant: { file: p }, owner: { file: o }, participantChannel: 'left', out, format: 'wav' });
      expect(wavHeader(out)).toMatchObject({ format: 1, channels: 2, sampleRate: 16000, bits: 16 });
      await expectMerged(out, { rate: 16000, participantHz: 440, ownerHz: 1000, participantS: 2, ownerS: 4, participantSide: 'left', durationMs });
    });

    it('merges an A-law WAV with a µ-law WAV into 16-bit PCM', async () => {
      const p = await tone('p-alaw.wav', 440, 3, 8000, ['-c:a', 'pcm_alaw']);
      const o = await tone('o-ulaw.wav', 1000, 2, 8000, ['-c:a', 'pcm_mulaw']);
      expect(wavHeader(p).format).toBe(6);
      expect(wavHeader(o).format).toBe(7);
      const out = at('g711.wav');
      const { durationMs } = await tool.mergeToStereo({ participant: { file: p }, owner: { file: o }, participantChannel: 'right', out, format: 'wav' });
      expect(wavHeader(out)).toMatchObject({ format: 1, channels: 2, sampleRate: 8000, bits: 16 });
      await expectMerged(out, { rate: 8000, participantHz: 440, ownerHz: 1000, participantS: 3, ownerS: 2, participantSide: 'right', durationMs });
    });

    it('merges a raw .gsm leg with a raw .sln leg (Asterisk MixMonitor r()/t() without headers)', async () => {
      const p = await tone('leg-in.gsm', 440, 2, 8000, ['-c:a', 'libgsm', '-f', 'gsm']);
      const o = await tone('leg-out.sln', 1000, 3, 8000, ['-f', 's16le']);
      const out = at('raw.wav');
      const input = (file: string): AudioInput => ({ file, raw: rawFormatOf(file) });
      const { durationMs } = await tool.mergeToStereo({ participant: input(p), owner: input(o), participantChannel: 'left', out, format: 'wav' });
      expect(wavHeader(out)).toMatchObject({ format: 1, channels: 2, sampleRate: 8000, bits: 16 });
      await expectMerged(out, { rate: 8000, participantHz: 440, ownerHz: 1000, participantS: 2, ownerS: 3, participantSide: 'left', durationMs });
    });

    it('merges speech (espeak-ng, 22.05 kHz) with a tone into a stereo MP3 at 32 kbit/s per channel', async () => {
      const speech = at('speech.wav');
      await sh('espeak-ng', ['-w', speech, 'Hello, this is the owner of the call speaking about your order.']);
      const speechS = wavHeader(speech).seconds;
      const p = await tone('p-long.wav', 440, speechS + 1.5, 8000);
      const out = at('speech.mp3');
      const { durationMs } = await tool.mergeToStereo({ participant: { file: p }, owner: { file: speech }, participantChannel: 'left', out, format: 'mp3' });
      expect(await probe(out)).toEqual({ channels: 2, sampleRate: 22050, bitRate: 64000 });
      const [left, right] = await decode(out, 2, 22050);
      // ffmpeg's decoder drops the encoder delay and padding the LAME tag records, so the decoded length is the
      // content's; a player that ignores the tag hears up to one frame plus padding more (~50 ms at 22 kHz).
      expect(Math.abs(left!.length / 22050 - (speechS + 1.5))).toBeLessThan(0.05);
      expect(Math.abs(durationMs / 1000 - (speechS + 1.5))).toBeLessThan(0.05);
      expect(toneOf(slice(left!, 22050, 0.2, speechS), 22050, 440, 1000)).toBe(440);
      expect(rms(slice(right!, 22050, 0, speechS))).toBeGreaterThan(0.02);
      expect(power(slice(right!, 22050, 0, speechS), 22050, 440)).toBeLessThan(power(slice(left!, 22050, 0, speechS), 22050, 440) / 100);
      expect(rms(slice(right!, 22050, speechS + 0.1, speechS + 1.4))).toBeLessThan(0.002);
    });
  });

  describe('convert', () => {
    const inputs = [
      { name: 'GSM in WAV (WAV49)', file: 'c-wav49.wav', rate: 8000, out: ['-c:a', 'gsm_ms'] },
      { name: 'raw GSM', file: 'c-raw.gsm', rate: 8000, out: ['-c:a', 'libgsm', '-f', 'gsm'] },
      { name: 'signed linear 16 kHz', file: 'c-raw.sln16', rate: 16000, out: ['-f', 's16le'] },
      { name: 'A-law WAV', file: 'c-alaw.wav', rate: 8000, out: ['-c:a', 'pcm_alaw'] },
    ];

    beforeAll(async () => {
      for (const { file, rate, out } of inputs) await tone(file, 440, 2, rate, out);
    });

    it.each(inputs)('turns $name into 16-bit PCM WAV of the same rate and length', async ({ file, rate }) => {
      const src = at(file);
      const out = at(`${file}.out.wav`);
      const { durationMs } = await tool.convert({ input: { file: src, raw: rawFormatOf(src) }, out, format: 'wav' });
      const h = wavHeader(out);
      expect(h).toMatchObject({ format: 1, channels: 1, sampleRate: rate, bits: 16 });
      expect(Math.abs(h.seconds - 2)).toBeLessThan(0.05);
      expect(Math.abs(durationMs / 1000 - 2)).toBeLessThan(0.05);
      const [mono] = await decode(out, 1, rate);
      expect(toneOf(slice(mono!, rate, 0.1, 1.9), rate, 440, 1000)).toBe(440);
    });

    it.each(inputs)('turns $name into an MP3 that decodes, 32 kbit/s, of the same length', async ({ file, rate }) => {
      const src = at(file);
      const out = at(`${file}.out.mp3`);
      const { durationMs } = await tool.convert({ input: { file: src, raw: rawFormatOf(src) }, out, format: 'mp3' });
      await expect(sh('ffmpeg', ['-nostdin', '-v', 'error', '-xerror', '-i', out, '-f', 'null', '-'])).resolves.toBeDefined();
      expect(await probe(out)).toEqual({ channels: 1, sampleRate: rate, bitRate: 32000 });
      const [mono] = await decode(out, 1, rate);
      // Decoded length, as above: ffmpeg honours the LAME tag, so no encoder padding is counted.
      expect(Math.abs(mono!.length / rate - 2)).toBeLessThan(0.05);
      expect(Math.abs(durationMs / 1000 - 2)).toBeLessThan(0.05);
      expect(toneOf(slice(mono!, rate, 0.1, 1.9), rate, 440, 1000)).toBe(440);
    });

    it('takes another MP3 bit rate per channel when told', async () => {
      const src = await tone('c-48k.wav', 440, 1, 16000);
      const out = at('c-48k.mp3');
      await ffmpegTool({ mp3KbpsPerChannel: 48 }).convert({ input: { file: src }, out, format: 'mp3' });
      expect((await probe(out)).bitRate).toBe(48000);
    });
  });

  describe('errors', () => {
    it('says plainly to install ffmpeg when the configured one does not exist', async () => {
      const missing = ffmpegTool({ command: path.join(tmp.dir, 'no', 'ffmpeg') });
      const err = await missing.version().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AudioToolMissingError);
      expect((err as Error).message).toContain(path.join(tmp.dir, 'no', 'ffmpeg'));
      expect((err as Error).message).toContain("install Debian's ffmpeg package");
      const src = await tone('e-ok.wav', 440, 1, 8000);
      await expect(missing.convert({ input: { file: src }, out: at('e-ok.mp3'), format: 'mp3' })).rejects.toBeInstanceOf(AudioToolMissingError);
      expect(existsSync(at('e-ok.mp3'))).toBe(false);
    });

    it('refuses a text file as not audio, names it, leaves nothing behind, and says retrying will not help', async () => {
      const { dir, cleanup } = tempDir('audio-tool-text-');
      try {
        const text = path.join(dir, 'call-17.wav');
        writeFileSync(text, 'uniqueid,src,dst\n1700000000.1,201,0612345678\n');
        const good = await tone('e-good.wav', 440, 1, 8000);
        const out = path.join(dir, 'call-17.stereo.wav');
        // One after the other: each must leave the folder as it was.
        for (const attempt of [
          () => tool.convert({ input: { file: text }, out, format: 'wav' }),
          () => tool.mergeToStereo({ participant: { file: good }, owner: { file: text }, participantChannel: 'left', out, format: 'mp3' }),
        ]) {
          const err = await attempt().catch((e: unknown) => e);
          expect(err).toBeInstanceOf(AudioConversionError);
          expect((err as AudioConversionError).retryable).toBe(false);
          expect((err as Error).message).toContain(text);
          expect((err as Error).message).toMatch(/not audio/);
          expect(readdirSync(dir)).toEqual(['call-17.wav']);
        }
      } finally {
        cleanup();
      }
    });

    it('kills ffmpeg when it runs past the timeout, and never shows a half file under the final name', async () => {
      const { dir, cleanup } = tempDir('audio-tool-slow-');
      try {
        // One hour of real GSM: raw GSM is a plain run of 33-byte frames, so repeating 2 s of it is valid audio.
        const two = await tone('slow-2s.gsm', 440, 2, 8000, ['-c:a', 'libgsm', '-f', 'gsm']);
        const long = path.join(dir, 'hour.gsm');
        writeFileSync(long, Buffer.concat(Array.from({ length: 1800 }, () => readFileSync(two))));
        const out = path.join(dir, 'hour.mp3');
        let seenOut = false;
        const poll = setInterval(() => (seenOut ||= existsSync(out)), 5);
        const started = Date.now();
        const err = await ffmpegTool({ timeoutMs: 400 })
          .convert({ input: { file: long, raw: rawFormatOf(long) }, out, format: 'mp3' })
          .catch((e: unknown) => e)
          .finally(() => clearInterval(poll));
        const took = Date.now() - started;
        expect(err).toBeInstanceOf(AudioConversionError);
        expect((err as Error).message).toMatch(/timed out/);
        expect((err as Error).message).toContain(long);
        expect(took).toBeLessThan(2500); // the whole hour takes several seconds
        expect(seenOut).toBe(false);
        expect(readdirSync(dir)).toEqual(['hour.gsm']);
        expect(processesMentioning(dir)).toEqual([]);
      } finally {
        cleanup();
      }
    });
  });
});

/** Live processes whose command line names `text` (Linux /proc). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}
