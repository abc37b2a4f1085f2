import { createReadStream } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { adapters, getAdapter } from '../../adapters/registry.js';
import type { AdapterDefinition } from '../../adapters/types.js';
import { loadConfig, validateConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CallbridgeError } from '../errors.js';
import { parseWhole } from '../pipeline/ingestor.js';
import type { CallNormalizer } from '../pipeline/normalizer.js';
import type { RecordingLinks } from '../recordings/links.js';
import { buildNormalizer } from '../bridge/pipeline.js';
import { recordingLinksFor } from '../bridge/recording-links.js';
import type { CallRecord } from '../../adapters/call-record.js';
import type { NormalizeResult, PipelineSource } from '../pipeline/types.js';

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

/** One NDJSON line of `callbridge parse` (README.md "Command line"). */
export type ParseLine =
  | { payload: Record<string, unknown>; note?: string }
  | { error: string; source: string; state: 'rejected' | 'skipped' };

/**
 * `callbridge parse [--adapter ID] [--source ID] [--config FILE] FILE...`: parse and normalize without submitting, with no
 * token and no network (owners from the configured map and CSV only). One NDJSON line per call on stdout.
 * Exit code 0 when every input was read; 1 when a file could not be read; 2 for a usage or config problem.
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
  let picked: ReturnType<typeof pickAdapterAndSource>;
  try {
    picked = pickAdapterAndSource(config, opts);
  } catch (error) {
    // An unknown --adapter: the error lists the known ones.
    if (!(error instanceof CallbridgeError)) throw error;
    picked = error.message;
  }
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

  const now = opts.now ?? Date.now();
  const write = async (line: ParseLine) => {
    if (!opts.stdout.write(`${JSON.stringify(line)}\n`)) await once(opts.stdout, 'drain');
  };
  let signedLocally = 0;
  let code = 0;
  for (const file of opts.files) {
    const readable = await checkReadable(file);
    if (readable !== true) {
      say(`cannot read ${file}: ${readable}`);
      code = 1;
      continue;
    }
    const stream = createReadStream(file);
    try {
      for await (const item of parseWhole(adapter, source, { name: file, stream }, config.normalize.groupWindowLegs)) {
        if (item.kind === 'error') await write({ error: item.message, source: item.location, state: 'rejected' });
        else if (item.kind === 'skip') await write({ error: item.reason, source: item.location, state: 'skipped' });
        else {
          const result = await normalizeSafely(normalizer, item.call, source, now);
          if (result.kind === 'payload' && links.isOwn(result.payload.call_recording_url)) signedLocally += 1;
          await write(lineFor(result, item.call));
        }
      }
    } catch (error) {
      say(`${file}: ${error instanceof Error ? error.message : String(error)}`);
      code = 1;
    } finally {
      stream.destroy();
    }
  }
  if (signedLocally && !config.recordings.signingSecret) {
    say(`${signedLocally} local recording link(s) are signed with a placeholder secret (no recordings.signingSecret configured): they are examples, not links a bridge serves`);
  }
  return code;
}

function lineFor(result: NormalizeResult, call: CallRecord): ParseLine {
  const location = call.location;
  switch (result.kind) {
    case 'payload':
      // Why this recording, when the call has more than one: the body cannot say it.
      return call.recording?.note ? { payload: result.payload, note: `recording: ${call.recording.note}` } : { payload: result.payload };
    case 'skipped':
      return { error: result.reason, source: location, state: 'skipped' };
    case 'rejected':
      return { error: result.reason, source: location, state: 'rejected' };
    case 'held':
      // The bridge would wait and look again; parse mode does not wait, so it says why it would.
      return { error: `${result.reason}; not sent in parse mode (the bridge would hold it)`, source: location, state: 'rejected' };
  }
}

async function normalizeSafely(
  normalizer: CallNormalizer,
  call: Parameters<CallNormalizer['normalize']>[0],
  source: PipelineSource,
  now: number,
): Promise<NormalizeResult> {
  try {
    return await normalizer.normalize(call, source, now);
  } catch (error) {
    return { kind: 'rejected', reason: `normalization failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * The adapter and the source whose options and time zone apply: `--source` names a source; `--adapter` alone takes
 * the config's first source using it (or the adapter's defaults); neither takes the one adapter the config's
 * sources use. Otherwise a message listing the sources and their adapters.
 */
function pickAdapterAndSource(config: Config, opts: Pick<ParseOptions, 'adapterId' | 'sourceId' | 'configFile'>): { adapter: AdapterDefinition; source: PipelineSource } | string {
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

async function checkReadable(file: string): Promise<true | string> {
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
