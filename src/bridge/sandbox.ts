import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import type { Ledger, LedgerStats } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { PROCESSED_DIR } from '../sources/drop/importer.js';

/** Where the sample CDRs live (config/sandbox), found from this file in src/ (tsx) or dist/src/. */
export function samplesDir(): string | null {
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

/** The sample CDRs' file names, as copied into a sandbox drop folder. */
export function sampleNames(samples: string): string[] {
  return readdirSync(samples).filter((f) => f.endsWith('.csv'));
}

/** The drop folders the sandbox seeds: those of the adapter its samples are for. */
export function sandboxDropFolders(config: Pick<Config, 'sources'>): string[] {
  return config.sources.flatMap((s) => (s.type === 'drop' && s.adapter === 'asterisk-csv' ? [path.resolve(s.path)] : []));
}

/**
 * Whether a drop folder gets the samples: it is not there, or it holds nothing of an earlier sandbox run (no sample,
 * no processed/), which is how `callbridge sandbox --reset` leaves a folder that also holds files of the operator's.
 */
function needsSamples(folder: string, names: string[]): boolean {
  if (!existsSync(folder)) return true;
  return !existsSync(path.join(folder, PROCESSED_DIR)) && !names.some((n) => existsSync(path.join(folder, n)));
}

export const SANDBOX_RECORDINGS = [1, 2, 3].map((n) => `sandbox-${n}.wav`);

/**
 * Sandbox only: the first time (and after `callbridge sandbox --reset`), copy the sample CDRs into every drop folder
 * whose adapter has samples, and write the recordings they name into the first recordings root, so a fresh
 * `npm start` has calls to deliver. When nothing was copied, it says what an earlier run delivered, and how to start over.
 */
export function seedSandbox(config: Config, logger: Logger, ledger: Pick<Ledger, 'stats'>): void {
  const samples = samplesDir();
  if (!samples) return;
  const names = sampleNames(samples);
  const folders = sandboxDropFolders(config).filter((folder) => needsSamples(folder, names));
  const root = config.recordings.roots[0];
  if (root && (!existsSync(root) || (folders.length && !SANDBOX_RECORDINGS.some((f) => existsSync(path.join(root, f)))))) {
    mkdirSync(root, { recursive: true });
    for (const file of SANDBOX_RECORDINGS) writeFileSync(path.join(root, file), stereoWav());
  }
  for (const folder of folders) {
    mkdirSync(folder, { recursive: true });
    for (const file of names) copyFileSync(path.join(samples, file), path.join(folder, file));
    logger.info(`sandbox: copied the sample CDRs into ${folder}`);
  }
  if (!folders.length && sandboxDropFolders(config).length) {
    // Only words for the operator: a ledger that cannot answer now never fails the start.
    void ledger
      .stats()
      .then(({ counts }) => logger.warn(earlierRunLine(counts)))
      .catch(() => undefined);
  }
}

/** What an earlier sandbox run left: "sandbox: 12 call(s) already delivered in an earlier run; ... starts over". */
export function earlierRunLine(counts: LedgerStats['counts']): string {
  const delivered = counts.submitted + counts.confirmed;
  const what = delivered ? `${delivered} call(s) already delivered in an earlier run` : 'the sample CDRs were copied in an earlier run';
  return `sandbox: ${what} (the samples are not copied again); \`callbridge sandbox --reset\` starts over`;
}
