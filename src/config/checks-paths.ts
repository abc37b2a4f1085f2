import os from 'node:os';
import path from 'node:path';
import { ledgerPlace } from '../ledger/open.js';
import { creatableFrom, type Probe, probe } from './path-probe.js';
import type { Config } from './schema.js';

/** One finding of checkPaths: an error means the bridge cannot work with this configuration on this host. */
export interface PathFinding {
  severity: 'error' | 'warning';
  /** The key of the file that names the path: `sources[0].path`, `normalize.owners.csv`. */
  key: string;
  /** Plain words, the full path in them. */
  message: string;
}

export interface PathCheckOptions {
  /** The config file's folder: the owners and contacts CSVs are relative to it. */
  configDir: string;
  /** No token: the sandbox makes the sample drop folder and the first recordings root itself at start. */
  sandbox: boolean;
  /** What relative source paths and recordings roots are resolved from, as the bridge does; default process.cwd(). */
  cwd?: string;
}

/**
 * Every path the configuration names, checked for what the bridge will do with it, as the user running this:
 * a drop folder is read and written (files are moved into processed/ and failed/ inside it), a tailed file read
 * (one that is not there yet is only a warning: the bridge waits for it), a recordings root read, dataDir and the
 * ledger's folder written or created, the owners and contacts CSVs read.
 */
export async function checkPaths(config: Config, opts: PathCheckOptions): Promise<PathFinding[]> {
  const cwd = opts.cwd ?? process.cwd();
  const findings: PathFinding[] = [];
  const error = (key: string, message: string) => findings.push({ severity: 'error', key, message });
  const warning = (key: string, message: string) => findings.push({ severity: 'warning', key, message });
  const user = currentUser();

  for (const [i, source] of config.sources.entries()) {
    if (source.type === 'hook' || source.type === 'sql') continue;
    const key = `sources[${i}].path`;
    const full = path.resolve(cwd, source.path);
    const p = await probe(full);
    if (source.type === 'drop') {
      const seeded = opts.sandbox && source.adapter === 'asterisk-csv';
      if (p.kind === 'missing' && seeded && (await creatableFrom(full)).ok) continue;
      const problem = folderProblem(p, full, 'drop folder', { write: true, user });
      if (problem) error(key, `${problem} (the bridge reads CDR files there and moves them into processed/ and failed/ inside it)`);
    } else if (p.error) {
      error(key, unreachable(full, p.error, user));
    } else if (p.kind === 'missing') {
      const folder = path.dirname(full);
      const parent = await probe(folder);
      const also = parent.kind === 'missing' ? ` (its folder ${folder} does not exist either: is the path right?)` : '';
      warning(key, `the tailed file ${full} does not exist yet${also}; the bridge waits for it and reads it from its first line when it appears`);
    } else if (p.kind !== 'file') {
      error(key, `${full} is ${kindWords(p)}, not a file; a tail follows one CDR file such as /var/log/asterisk/cdr-csv/Master.csv`);
    } else if (!p.readable) {
      error(key, `user ${user} cannot read the tailed file ${full}; give it read access (or run the bridge as the PBX's group)`);
    } else {
      const folder = await probe(path.dirname(full));
      if (!folder.readable || !folder.searchable) {
        warning(key, `user ${user} cannot list the folder ${path.dirname(full)}; after a rotation the rest of the old file cannot be found`);
      }
    }
  }

  for (const [i, root] of config.recordings.roots.entries()) {
    const full = path.resolve(cwd, root);
    const p = await probe(full);
    if (i === 0 && opts.sandbox && p.kind === 'missing' && (await creatableFrom(full)).ok) continue;
    const problem = folderProblem(p, full, 'recordings folder', { write: false, user });
    if (problem) error(`recordings.roots[${i}]`, `${problem} (local recordings are read and served from it)`);
  }

  const dataProblem = await writableFolderProblem(config.dataDir, 'data folder', user);
  if (dataProblem) error('dataDir', `${dataProblem} (the ledger and generated secrets are kept there)`);
  // A ledger in PostgreSQL has no file here.
  const ledger = ledgerPlace(config);
  if (ledger.kind === 'sqlite') await checkLedgerFile(config, ledger.file, user, error);

  const csvs: Array<[string, string | undefined, string]> = [
    ['normalize.owners.csv', config.normalize.owners.csv, 'owners CSV (extension,email[,name])'],
    ['normalize.contactsCsv', config.normalize.contactsCsv, 'contacts CSV'],
  ];
  for (const [key, file, what] of csvs) {
    if (!file) continue;
    const full = path.resolve(opts.configDir, file);
    const p = await probe(full);
    const relative = path.isAbsolute(file) ? '' : ` (a relative path is read from the config file's folder, ${opts.configDir})`;
    if (p.error) error(key, unreachable(full, p.error, user));
    else if (p.kind === 'missing') error(key, `the ${what} ${full} does not exist${relative}`);
    else if (p.kind !== 'file') error(key, `the ${what} ${full} is ${kindWords(p)}, not a file`);
    else if (!p.readable) error(key, `user ${user} cannot read the ${what} ${full}; give it read access`);
  }
  return findings;
}

/** What is wrong with a folder the bridge reads (and, `write`, writes), or undefined. */
function folderProblem(p: Probe, full: string, what: string, opts: { write: boolean; user: string }): string | undefined {
  if (p.error) return unreachable(full, p.error, opts.user);
  if (p.kind === 'missing') return `the ${what} ${full} does not exist; create it or fix the path`;
  if (p.kind !== 'folder') return `the ${what} ${full} is ${kindWords(p)}, not a folder`;
  const needs = opts.write ? 'read and write' : 'read';
  if (!p.readable || !p.searchable || (opts.write && !p.writable)) return `user ${opts.user} cannot ${needs} the ${what} ${full}; give it ${needs} access`;
  return undefined;
}

/** A folder the bridge writes to, made at start when it is not there: it must be writable, or creatable. */
async function writableFolderProblem(folder: string, what: string, user: string): Promise<string | undefined> {
  const full = path.resolve(folder);
  const p = await probe(full);
  if (p.error) return unreachable(full, p.error, user);
  if (p.kind === 'missing') {
    const { ok, ancestor, why } = await creatableFrom(full);
    return ok ? undefined : `the ${what} ${full} does not exist and user ${user} cannot create it (${ancestor} ${why}); create it and give it write access`;
  }
  if (p.kind !== 'folder') return `the ${what} ${full} is ${kindWords(p)}, not a folder`;
  if (!p.writable || !p.searchable) return `user ${user} cannot write to the ${what} ${full}; give it write access`;
  return undefined;
}

/** stat() failed other than "not there": EACCES on a folder above it, ELOOP... */
const unreachable = (full: string, code: string, user: string) =>
  code === 'EACCES' ? `user ${user} cannot reach ${full}: a folder above it is closed to them (EACCES)` : `cannot look at ${full} (${code})`;

const kindWords = (p: Probe) => (p.kind === 'file' ? 'a file' : p.kind === 'folder' ? 'a folder' : 'neither a file nor a folder');

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

async function checkLedgerFile(config: Pick<Config, 'ledger' | 'dataDir'>, file: string, user: string, error: (key: string, message: string) => void): Promise<void> {
  const ledgerKey = config.ledger.path ? 'ledger.path' : 'dataDir';
  const ledgerFolder = path.dirname(file);
  if (config.ledger.path && ledgerFolder !== path.resolve(config.dataDir)) {
    const problem = await writableFolderProblem(ledgerFolder, 'ledger folder', user);
    if (problem) error(ledgerKey, `${problem} (SQLite writes the ledger and its -wal and -shm files there)`);
  }
  const ledger = await probe(file);
  if (ledger.kind !== 'missing' && ledger.kind !== 'file') error(ledgerKey, `the ledger ${file} is ${kindWords(ledger)}, not a file`);
  if (ledger.kind === 'file' && !(ledger.readable && ledger.writable)) error(ledgerKey, `user ${user} cannot read and write the ledger ${file}`);
}
