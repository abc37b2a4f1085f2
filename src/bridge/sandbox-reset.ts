import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { PROCESSED_DIR } from '../sources/drop/importer.js';
import { ledgerFile } from '../ledger/open.js';
import { SANDBOX_RECORDINGS, sampleNames, samplesDir, sandboxDropFolders } from './sandbox.js';

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
