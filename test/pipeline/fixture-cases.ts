import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { runParse } from '../../src/cli/parse.js';

/**
 * Golden fixtures: every input file in test/fixtures/<adapter-id>/ is one case, parsed with that folder's
 * callbridge.yaml; its expected `callbridge parse` output is `<case>.expected.ndjson` beside it, where
 * <case> is the file name without its last extension. Shared by test/adapters/contract.test.ts and
 * scripts/update-goldens.ts, so both always agree on what a case is.
 *
 * Not cases: callbridge.yaml, README*, *.expected.ndjson, folders (recordings/), audio files, and the CSV
 * files the config names (normalize.owners.csv, normalize.contactsCsv).
 */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = 'test/fixtures';
export const CONFIG_NAME = 'callbridge.yaml';
const AUDIO = /\.(wav|wave|mp3|ogg|oga|opus|gsm|m4a|flac)$/i;

export interface FixtureCase {
  /** File name without its last extension. */
  name: string;
  /** Repository-relative path of the input (as it appears in the output's locations). */
  input: string;
  /** Repository-relative path of the golden output. */
  expected: string;
}

export interface FixtureFolder {
  adapterId: string;
  /** Repository-relative. */
  dir: string;
  config: string;
  cases: FixtureCase[];
  /** Why the folder is not usable as it is (no config, no case, two inputs with one case name). */
  problems: string[];
}

export function fixtureFolder(adapterId: string): FixtureFolder {
  const dir = path.join(FIXTURES, adapterId);
  const abs = path.join(REPO_ROOT, dir);
  const config = path.join(dir, CONFIG_NAME);
  const folder: FixtureFolder = { adapterId, dir, config, cases: [], problems: [] };
  if (!existsSync(abs)) {
    folder.problems.push(`${dir} does not exist: every adapter needs golden fixtures`);
    return folder;
  }
  if (!existsSync(path.join(REPO_ROOT, config))) folder.problems.push(`${config} is missing`);
  const named = configuredFiles(path.join(REPO_ROOT, config));
  const byName = new Map<string, string>();
  for (const file of readdirSync(abs).sort()) {
    const full = path.join(abs, file);
    if (statSync(full).isDirectory()) continue;
    if (file === CONFIG_NAME || /^readme/i.test(file) || file.endsWith('.expected.ndjson') || AUDIO.test(file)) continue;
    if (named.has(path.resolve(full))) continue;
    const name = file.includes('.') ? file.slice(0, file.lastIndexOf('.')) : file;
    const other = byName.get(name);
    if (other) folder.problems.push(`${dir}: ${other} and ${file} are both case "${name}"; rename one`);
    byName.set(name, file);
    folder.cases.push({ name, input: path.join(dir, file), expected: path.join(dir, `${name}.expected.ndjson`) });
  }
  if (!folder.cases.length) folder.problems.push(`${dir} has no input files: every adapter needs golden fixtures`);
  return folder;
}

/** Files a fixture config points at (owners and contacts CSVs), resolved like the normalizer does: from the config's folder. */
function configuredFiles(configFile: string): Set<string> {
  const out = new Set<string>();
  if (!existsSync(configFile)) return out;
  const doc = (parseYaml(readFileSync(configFile, 'utf8')) ?? {}) as { normalize?: { owners?: { csv?: unknown }; contactsCsv?: unknown } };
  for (const file of [doc.normalize?.owners?.csv, doc.normalize?.contactsCsv]) {
    if (typeof file === 'string') out.add(path.resolve(path.dirname(configFile), file));
  }
  return out;
}

export interface ParseRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `callbridge parse --adapter ID --config FILE INPUT`, in process, from the repository root (paths in the output are repository-relative). */
export function runParseCase(adapterId: string, configFile: string, input: string): Promise<ParseRun> {
  return runParseFiles({ adapterId, configFile, files: [input] });
}

/** `callbridge parse [--adapter ID] [--source ID] --config FILE FILE...`, in process, from the repository root. */
export async function runParseFiles(args: { adapterId?: string; sourceId?: string; configFile: string; files: string[] }): Promise<ParseRun> {
  if (process.cwd() !== REPO_ROOT) process.chdir(REPO_ROOT);
  const stdout = collector();
  const stderr = collector();
  const code = await runParse({ ...args, stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
