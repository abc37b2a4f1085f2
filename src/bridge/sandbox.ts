import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import { openSqliteLedger } from '../ledger/sqlite.js';
import type { Logger } from '../log/logger.js';
import { PROCESSED_DIR } from '../sources/drop/importer.js';
import { ledgerFile } from './ledger.js';

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

/** The sample CDRs' file names, as copied into a sandbox drop folder. */
function sampleNames(samples: string): string[] {
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

const SANDBOX_RECORDINGS = [1, 2, 3].map((n) => `sandbox-${n}.wav`);

/**
 * Sandbox only: the first time (and after `callbridge sandbox --reset`), copy the sample CDRs into every drop folder
 * whose adapter has samples, and write the recordings they name into the first recordings root, so a fresh
 * `npm start` has calls to deliver. When nothing was copied, it says what an earlier run delivered, and how to start over.
 */
export function seedSandbox(config: Config, logger: Logger): void {
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
  if (!folders.length && sandboxDropFolders(config).length && existsSync(ledgerFile(config))) {
    // Read from the ledger as the bridge starts (a second connection, closed at once); it never fails the start.
    void earlierRun(config)
      .then((line) => logger.warn(line))
      .catch(() => undefined);
  }
}

/** What an earlier sandbox run left: "sandbox: 12 call(s) already delivered in an earlier run; ... starts over". */
export async function earlierRun(config: Pick<Config, 'ledger' | 'dataDir'>): Promise<string> {
  const ledger = await openSqliteLedger(ledgerFile(config));
  try {
    const { counts } = await ledger.stats();
    const delivered = counts.submitted + counts.confirmed;
    const what = delivered ? `${delivered} call(s) already delivered in an earlier run` : 'the sample CDRs were copied in an earlier run';
    return `sandbox: ${what} (the samples are not copied again); \`callbridge sandbox --reset\` starts over`;
  } finally {
    await ledger.close();
  }
}

/** Is `child` inside `parent` (or `parent` itself)? */
function isInside(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export interface SandboxResetPlan {
  /** Files and folders to remove, each under dataDir or a sandbox drop folder. */
  remove: string[];
  /** What is left in place, and why (not made by the sandbox, or outside the places it may touch). */
  kept: string[];
}

/**
 * What `callbridge sandbox --reset` removes: only what the sandbox made, and only under dataDir and its drop folders:
 * the ledger (with its WAL files), the sample CDRs and processed/ of each sandbox drop folder (the folder too, once
 * empty, so the next start copies the samples again), and the sandbox recordings. Reads the file system, changes nothing.
 */
export function planSandboxReset(config: Pick<Config, 'sources' | 'recordings' | 'ledger' | 'dataDir'>): SandboxResetPlan {
  const remove: string[] = [];
  const kept: string[] = [];
  const dataDir = path.resolve(config.dataDir);
  const db = ledgerFile(config);
  for (const file of [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]) {
    if (!existsSync(file)) continue;
    if (isInside(file, dataDir)) remove.push(file);
    else kept.push(`${file} (the ledger is outside dataDir ${dataDir}: remove it yourself if you mean to)`);
  }
  const samples = samplesDir();
  const names = samples ? sampleNames(samples) : [];
  for (const folder of sandboxDropFolders(config)) {
    if (!existsSync(folder)) continue;
    const ours = [...names, PROCESSED_DIR].map((n) => path.join(folder, n)).filter((f) => existsSync(f));
    remove.push(...ours);
    const others = readdirSync(folder).filter((n) => !ours.includes(path.join(folder, n)));
    if (others.length) kept.push(`${folder}: ${others.join(', ')} (not put there by the sandbox)`);
    else remove.push(folder);
  }
  const root = config.recordings.roots[0];
  if (root && existsSync(root)) {
    if (!isInside(root, dataDir)) kept.push(`${path.resolve(root)} (a recordings root outside dataDir ${dataDir})`);
    else {
      const ours = SANDBOX_RECORDINGS.map((f) => path.join(path.resolve(root), f)).filter((f) => existsSync(f));
      remove.push(...ours);
      const others = readdirSync(root).filter((n) => !SANDBOX_RECORDINGS.includes(n));
      if (others.length) kept.push(`${path.resolve(root)}: ${others.join(', ')} (not written by the sandbox)`);
      else if (ours.length) remove.push(path.resolve(root));
    }
  }
  return { remove, kept };
}

/** Carry out a plan: files first, then the folders they emptied. */
export function applySandboxReset(plan: SandboxResetPlan): void {
  for (const target of plan.remove) rmSync(target, { recursive: true, force: true });
}
