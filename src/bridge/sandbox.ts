import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';

/** Where the sample CDRs live (config/sandbox), found from this file in src/ (tsx) or dist/src/. */
function samplesDir(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'config', 'sandbox');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return null;
}

/** A short stereo WAV (16-bit PCM): a tone on the left channel, another on the right. */
export function stereoWav(seconds = 2, sampleRate = 16_000): Buffer {
  const frames = seconds * sampleRate;
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    data.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate)), i * 4);
    data.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 660 * i) / sampleRate)), i * 4 + 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(2, 22); // channels
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/**
 * Sandbox only: the first time, copy the sample CDRs into every drop folder whose adapter has samples, and
 * write the recordings they name into the first recordings root, so a fresh `npm start` has calls to deliver.
 */
export function seedSandbox(config: Config, logger: Logger): void {
  const samples = samplesDir();
  if (!samples) return;
  const root = config.recordings.roots[0];
  if (root && !existsSync(root)) {
    mkdirSync(root, { recursive: true });
    for (const n of [1, 2, 3]) writeFileSync(path.join(root, `sandbox-${n}.wav`), stereoWav());
  }
  for (const source of config.sources) {
    if (source.type !== 'drop' || source.adapter !== 'asterisk-csv' || existsSync(source.path)) continue;
    mkdirSync(source.path, { recursive: true });
    for (const file of readdirSync(samples).filter((f) => f.endsWith('.csv'))) copyFileSync(path.join(samples, file), path.join(source.path, file));
    logger.info(`sandbox: copied the sample CDRs into ${source.path}`);
  }
}
