import { constants } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { DATABASE_URL, detectDatabase } from './detect/database.js';
import { detectSample } from './detect/detect-file.js';
import { expandInputs, readHead, reason } from './detect/inputs.js';
import { planConfig } from './detect/plan.js';
import { renderConfig } from './detect/render.js';
import { SAMPLE_BYTES, decodeSample } from './detect/sample.js';
import type { Verdict } from './detect/types.js';

export interface DetectOptions {
  /** Files, or folders of files (not their subfolders). */
  paths: string[];
  /** Write callbridge.yaml and owners.csv into this folder instead of printing the YAML; nothing is overwritten. */
  writeDir?: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The zone guessed for the PBX when its files do not tell; default this machine's. */
  machineZone?: string;
}

export const CONFIG_NAME = 'callbridge.yaml';
export const OWNERS_NAME = 'owners.csv';

/**
 * `callbridge detect FILE|FOLDER|DATABASE-URL... [--write DIR]`: which adapter reads these files (or which known CDR
 * table a database holds) and how sure that is (the
 * evidence as YAML comments), and a starter config for them: one drop source per adapter with the options the
 * data suggests, the PBX's time zone where the data tells it, the extensions seen as normalize.internalNumbers,
 * and an owners template. The YAML goes to stdout (a one-line verdict per file to stderr), or with --write into DIR.
 * Exit code 0 when a file was recognised, 1 when none could be read or recognised, 2 for a usage problem.
 */
export async function runDetect(opts: DetectOptions): Promise<number> {
  const say = (text: string) => opts.stderr.write(`callbridge detect: ${text}\n`);
  if (!opts.paths.length) {
    say('give one or more CDR files or folders, e.g. callbridge detect /var/log/asterisk/cdr-csv/Master.csv');
    return 2;
  }
  const databases = opts.paths.filter((p) => DATABASE_URL.test(p));
  const { inputs, notes } = await expandInputs(opts.paths.filter((p) => !DATABASE_URL.test(p)));
  for (const note of notes) say(note);
  const verdicts: Verdict[] = [];
  for (const url of databases) {
    const verdict = await detectDatabase(url);
    verdicts.push(verdict);
    say(verdict.kind === 'detected' ? `${verdict.file}: ${verdict.database?.profile} (${verdict.confidence}); ${verdict.evidence[0]}` : `${verdict.file}: not recognised: ${verdict.seen}; ${verdict.why}`);
  }
  for (const input of inputs) {
    if (input.kind === 'problem') {
      say(`${input.file}: ${input.message}`);
      continue;
    }
    let head: { bytes: Uint8Array; size: number };
    try {
      head = await readHead(input.file, SAMPLE_BYTES);
    } catch (error) {
      say(`${input.file}: cannot read it: ${reason(error)}`);
      continue;
    }
    const decoded = decodeSample(input.file, head.bytes, head.size);
    const verdict: Verdict = decoded.ok
      ? await detectSample(decoded.sample, decoded.notes)
      : { kind: 'unknown', file: input.file, seen: decoded.seen, why: 'nothing to detect' };
    verdicts.push(verdict);
    say(
      verdict.kind === 'detected'
        ? `${verdict.file}: ${verdict.adapter} (${verdict.confidence}); ${verdict.evidence[0]}`
        : `${verdict.file}: not recognised: ${verdict.seen}; ${verdict.why}`,
    );
  }
  if (!verdicts.some((v) => v.kind === 'detected')) {
    say(verdicts.length ? 'no file was recognised: no configuration to suggest' : 'no file could be read');
    return 1;
  }

  const plan = planConfig(verdicts, { machineZone: opts.machineZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone });
  if (opts.writeDir === undefined) {
    const { yaml } = renderConfig(plan);
    opts.stdout.write(yaml);
    say('the starter configuration is on stdout (evidence and TODOs as comments); save it, e.g. > callbridge.yaml, or use --write DIR');
    return 0;
  }
  const rendered = renderConfig(plan, { ownersFile: OWNERS_NAME });
  const written = await writeNew(opts.writeDir, [
    [CONFIG_NAME, rendered.yaml],
    [OWNERS_NAME, rendered.ownersCsv],
  ]);
  if (typeof written === 'string') {
    say(written);
    return 2;
  }
  const config = path.join(opts.writeDir, CONFIG_NAME);
  say(`wrote ${written.join(' and ')}; edit their TODOs, then: callbridge check-config --config ${config}`);
  return 0;
}

/**
 * Writes each file into `dir` (made if missing), refusing to replace any that exists: a config someone edited
 * is not lost to a second run. Nothing is written when one of them is already there.
 */
async function writeNew(dir: string, files: Array<[string, string]>): Promise<string[] | string> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    return `cannot make the folder ${dir}: ${reason(error)}`;
  }
  const handles: Array<{ file: string; handle: Awaited<ReturnType<typeof open>>; text: string }> = [];
  try {
    for (const [name, text] of files) {
      const file = path.join(dir, name);
      try {
        // O_EXCL: the check and the creation are one step, so a file made meanwhile is not replaced either.
        handles.push({ file, handle: await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644), text });
      } catch (error) {
        const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
        // The files opened before this one are empty and ours: taken back, so that nothing half is left.
        for (const h of handles.splice(0)) {
          await h.handle.close();
          await rm(h.file, { force: true });
        }
        return exists
          ? `${file} already exists: nothing was written (detect never replaces a file); move it away or give another folder`
          : `cannot write ${file}: ${reason(error)}`;
      }
    }
    for (const h of handles) await h.handle.writeFile(h.text, 'utf8');
    return handles.map((h) => h.file);
  } finally {
    for (const h of handles) await h.handle.close();
  }
}
