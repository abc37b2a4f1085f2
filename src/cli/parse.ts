import { createReadStream } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { adapters, getAdapter } from '../../adapters/registry.js';
import type { AdapterDefinition } from '../../adapters/types.js';
import { loadConfig, validateConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CallbridgeError } from '../errors.js';
import type { CallNormalizer } from '../pipeline/normalizer.js';
import type { RecordingLinks } from '../recordings/links.js';
import { buildNormalizer } from '../bridge/pipeline.js';
import { recordingLinksFor } from '../bridge/recording-links.js';
import { Preview, type PreviewSource } from './parse/preview.js';
import { ParseTally } from './parse/summary.js';

export type { ParseLine } from './parse/preview.js';

/**
 * Parse mode signs local-recording links with this when no recordings.signingSecret is configured, so that
 * the output is stable (goldens). Such links are NOT valid on a running bridge (it has its own secret).
 */
export const PARSE_PLACEHOLDER_SECRET = 'callbridge-parse-mode-placeholder-secret-not-valid-on-a-bridge';

export interface ParseOptions {
  /** Omitted: the adapter of the config's source (the only adapter its sources use, or the one `sourceId` names). */
  adapterId?: string;
  /** A source of the config: its adapter, options and time zone apply. */
  sourceId?: string;
  /** Omitted: no configuration at all (the CLI passes the default config file, as every command does). */
  configFile?: string;
  files: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Clock for held/waiting decisions; default now. */
  now?: number;
}

/**
 * `callbridge parse [--adapter ID] [--source ID] [--config FILE] FILE...`: what the bridge would send for these
 * files, through its own ingestion (parse/preview.ts) with nothing submitted, no token and no network (owners
 * from the configured map and CSV only). The files are one input, in the order given: legs of a call in
 * separate files are one call. One NDJSON line per call or input problem on stdout, then one summary line on
 * stderr. Exit code 0 when every input was read; 1 when a file could not be read; 2 for a usage or config problem.
 */
export async function runParse(opts: ParseOptions): Promise<number> {
  const say = (text: string) => opts.stderr.write(`callbridge parse: ${text}\n`);
  let config: Config;
  let normalizer: CallNormalizer;
  let links: RecordingLinks;
  try {
    config = opts.configFile ? loadConfig(opts.configFile).config : validateConfig({});
    links = recordingLinksFor(config, config.recordings.signingSecret ?? PARSE_PLACEHOLDER_SECRET);
    normalizer = buildNormalizer({
      config,
      configDir: opts.configFile ? path.dirname(path.resolve(opts.configFile)) : process.cwd(),
      links,
      // Links expire relative to the call's end, not to when parse ran: the same input gives the same output.
      linkClock: 'call-end',
    });
  } catch (error) {
    if (error instanceof CallbridgeError) {
      say(error.message);
      return 2;
    }
    throw error;
  }
  const picked = pickAdapterAndSource(config, opts);
  if (typeof picked === 'string') {
    say(picked);
    return 2;
  }
  const { adapter, source } = picked;
  if (!opts.files.length) {
    say('no input files given');
    return 2;
  }
  if (config.normalize.owners.fromDstnyUsers) say('the Dstny users directory is not consulted in parse mode (no network): owners come from the map and CSV only');

  const preview = await Preview.open({
    adapter,
    source,
    normalizer,
    windowLegs: config.normalize.groupWindowLegs,
    batchSize: config.normalize.ingestBatchSize,
    now: opts.now ?? Date.now(),
  });
  let code = 0;
  try {
    for (const file of opts.files) {
      const readable = await checkReadable(file);
      if (readable !== true) {
        say(`cannot read ${file}: ${readable}`);
        code = 1;
        continue;
      }
      const stream = createReadStream(file);
      try {
        await preview.add({ name: file, stream });
      } catch (error) {
        say(`${file}: ${error instanceof Error ? error.message : String(error)}`);
        code = 1;
      } finally {
        stream.destroy();
      }
    }
    const tally = new ParseTally();
    let placeholderLinks = 0;
    for await (const { line, problem } of preview.lines()) {
      tally.add(line, problem);
      if ('payload' in line && !config.recordings.signingSecret && links.isOwn(line.payload.call_recording_url)) placeholderLinks += 1;
      if (!opts.stdout.write(`${JSON.stringify(line)}\n`)) await once(opts.stdout, 'drain');
    }
    say(tally.text());
    if (placeholderLinks) {
      say(`${placeholderLinks} link(s) to local recordings are signed with a placeholder secret (no recordings.signingSecret configured): they show the shape of a link, but no bridge serves them`);
    }
  } finally {
    await preview.close();
  }
  return code;
}

/**
 * The adapter and the source whose options and time zone apply: `--source` names a source; `--adapter` alone takes
 * the config's first source using it (or the adapter's defaults); neither takes the one adapter the config's
 * sources use. Otherwise a message listing the sources and their adapters.
 */
export function pickAdapterAndSource(config: Config, opts: Pick<ParseOptions, 'adapterId' | 'sourceId' | 'configFile'>): { adapter: AdapterDefinition; source: PreviewSource } | string {
  try {
    return pickOrExplain(config, opts);
  } catch (error) {
    // An unknown --adapter: the error lists the known ones.
    if (!(error instanceof CallbridgeError)) throw error;
    return error.message;
  }
}

function pickOrExplain(config: Config, opts: Pick<ParseOptions, 'adapterId' | 'sourceId' | 'configFile'>): { adapter: AdapterDefinition; source: PreviewSource } | string {
  const listed = config.sources.map((s) => `${s.id} (${s.adapter})`).join(', ');
  const file = opts.configFile ?? 'the configuration';
  if (opts.sourceId !== undefined) {
    const named = config.sources.find((s) => s.id === opts.sourceId);
    if (!named) return `no source "${opts.sourceId}" in ${file}: ${listed ? `its sources are ${listed}` : 'it has no sources'}`;
    if (opts.adapterId !== undefined && opts.adapterId !== named.adapter) {
      return `source "${named.id}" uses adapter "${named.adapter}", not "${opts.adapterId}": leave out --adapter, or name another source`;
    }
    return { adapter: getAdapter(named.adapter), source: named };
  }
  if (opts.adapterId !== undefined) {
    const adapter = getAdapter(opts.adapterId);
    const configured = config.sources.find((s) => s.adapter === adapter.id);
    if (configured) return { adapter, source: configured };
    const defaults = adapter.configSchema.safeParse({});
    if (!defaults.success) {
      return `adapter "${adapter.id}" needs options (for example ${JSON.stringify(adapter.example)}); give --config with a source using it`;
    }
    return { adapter, source: { id: adapter.id, adapter: adapter.id, options: defaults.data as Record<string, unknown>, groupQuietMs: 0 } };
  }
  const used = [...new Set(config.sources.map((s) => s.adapter))];
  if (used.length === 1) {
    const source = config.sources[0]!;
    return { adapter: getAdapter(source.adapter), source };
  }
  if (!used.length) return `${file} has no sources to take the adapter from: give --adapter ID (one of ${adapters.map((a) => a.id).join(', ')}), e.g. --adapter asterisk-csv`;
  return `the sources of ${file} use different adapters: ${listed}; say which with --source ID (e.g. --source ${config.sources[0]!.id}) or --adapter ID`;
}

export async function checkReadable(file: string): Promise<true | string> {
  try {
    const s = await stat(file);
    if (!s.isFile()) return 'not a regular file';
    await access(file, constants.R_OK);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return 'permission denied';
    return (error as Error).message;
  }
}
