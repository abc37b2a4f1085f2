import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from '@jest/globals';

/** Real audio for tests, made and measured with ffmpeg (CI installs it): a missing tool fails the test. */
const exec = promisify(execFile);
export const sh = async (cmd: string, args: string[]) => (await exec(cmd, args, { timeout: 20_000, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' })).stdout;
export const FF = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y'];

/** A mono sine (amplitude 1/8) by ffmpeg's lavfi source, written with `out` (codec and container options). */
export async function toneFile(file: string, hz: number, seconds: number, rate: number, out: string[] = ['-c:a', 'pcm_s16le']): Promise<string> {
  await sh('ffmpeg', [...FF, '-f', 'lavfi', '-i', `sine=frequency=${hz}:duration=${seconds}:sample_rate=${rate}`, '-ac', '1', ...out, file]);
  return file;
}

export interface WavHeader {
  format: number;
  channels: number;
  sampleRate: number;
  bits: number;
  seconds: number;
}

/** The WAV's own fmt and data chunks, read here without ffmpeg. */
export function wavHeader(file: string): WavHeader {
  const buf = readFileSync(file);
  expect(buf.toString('ascii', 0, 4)).toBe('RIFF');
  expect(buf.toString('ascii', 8, 12)).toBe('WAVE');
  let fmt: Omit<WavHeader, 'seconds'> | undefined;
  for (let at = 12; at + 8 <= buf.length; ) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      fmt = { format: buf.readUInt16LE(at + 8), channels: buf.readUInt16LE(at + 10), sampleRate: buf.readUInt32LE(at + 12), bits: buf.readUInt16LE(at + 22) };
    }
    if (id === 'data') {
      if (!fmt) throw new Error(`${file}: data before fmt`);
      return { ...fmt, seconds: size / (fmt.sampleRate * fmt.channels * (fmt.bits / 8)) };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

/** ffprobe's view of the first audio stream (for MP3, whose header this test does not parse). */
export async function probe(file: string): Promise<{ channels: number; sampleRate: number; bitRate: number }> {
  const json = (await sh('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=channels,sample_rate,bit_rate', '-of', 'json', file])).toString();
  const s = (JSON.parse(json) as { streams: Array<{ channels: number; sample_rate: string; bit_rate: string }> }).streams[0]!;
  return { channels: s.channels, sampleRate: Number(s.sample_rate), bitRate: Number(s.bit_rate) };
}

/** Every channel of the file as decoded by ffmpeg (any format), as floats in [-1, 1]. */
export async function decode(file: string, channels: number, rate: number): Promise<Float64Array[]> {
  const raw = await sh('ffmpeg', [...FF, '-i', file, '-f', 's16le', '-c:a', 'pcm_s16le', '-ac', String(channels), '-ar', String(rate), 'pipe:1']);
  const frames = raw.length / 2 / channels;
  const out = Array.from({ length: channels }, () => new Float64Array(frames));
  for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) out[c]![i] = raw.readInt16LE((i * channels + c) * 2) / 32768;
  return out;
}

export const slice = (x: Float64Array, rate: number, from: number, to: number) => x.subarray(Math.round(from * rate), Math.round(to * rate));
export const rms = (x: Float64Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / Math.max(1, x.length));
/** Energy at one frequency (Goertzel), per sample: tells a 440 Hz side from a 1000 Hz side. */
export function power(x: Float64Array, rate: number, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) [s1, s2] = [v + k * s1 - s2, s1];
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / x.length;
}

/** Which of two tones a stretch of one channel carries, by a clear margin (or 'neither'). */
export function toneOf(x: Float64Array, rate: number, a: number, b: number): number | 'neither' {
  const pa = power(x, rate, a);
  const pb = power(x, rate, b);
  if (pa > 20 * pb) return a;
  if (pb > 20 * pa) return b;
  return 'neither';
}
