import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CallbridgeError } from '../errors.js';
import { type RowState, rowStates } from '../ledger/ledger.js';
import { openSqliteLedger } from '../ledger/sqlite.js';
import { renormalizeRow } from '../pipeline/renormalize.js';
import { ledgerFile } from '../bridge/ledger.js';
import { buildNormalizer, sourceLookup } from '../bridge/pipeline.js';
import { recordingLinksFor } from '../bridge/recording-links.js';
import { formatStatus } from '../status/report.js';
import { VERSION } from '../version.js';
import { loadOrCreateSigningSecret } from '../recordings/signing-secret.js';

type Out = NodeJS.WritableStream;

/** Load the config, or print why not and return the exit code. */
function load(file: string, out: Out): { config: Config } | number {
  try {
    return { config: loadConfig(file).config };
  } catch (error) {
    if (error instanceof CallbridgeError) {
      out.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** `callbridge check-config`: the same validation as start (including adapter options and CSV files), no I/O beyond reading. */
export async function runCheckConfig(file: string, out: Out): Promise<number> {
  const loaded = load(file, out);
  if (typeof loaded === 'number') return loaded;
  const { config } = loaded;
  try {
    // Owner and contact CSVs are read here too: a missing file should fail now, not at the first call.
    buildNormalizer({ config, configDir: path.dirname(path.resolve(file)), links: recordingLinksFor(config, 'check-config-only-not-a-secret'), linkClock: 'now' });
  } catch (error) {
    if (error instanceof CallbridgeError) {
      out.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const mode = config.dstny.token ? `live (${config.dstny.baseUrl})` : 'sandbox (no DSTNY_API_TOKEN: the built-in emulator)';
  out.write(`${file}: OK\n  mode: ${mode}\n  sources: ${config.sources.map((s) => `${s.id} (${s.type}, ${s.adapter})`).join(', ') || 'none'}\n  ledger: ${ledgerFile(config)}\n`);
  return 0;
}

/** `callbridge status`: read straight from the ledger, so it works whether or not the bridge runs. */
export async function runStatus(file: string, out: Out, opts: { json: boolean }): Promise<number> {
  const loaded = load(file, out);
  if (typeof loaded === 'number') return loaded;
  const dbFile = ledgerFile(loaded.config);
  if (!existsSync(dbFile)) {
    out.write(`no ledger at ${dbFile} yet: the bridge has not run with this configuration\n`);
    return 1;
  }
  const ledger = await openSqliteLedger(dbFile);
  try {
    const report = {
      version: VERSION,
      mode: 'offline' as const,
      apiBaseUrl: null,
      ledger: await ledger.stats(),
      submitter: null,
      api: null,
      sources: [],
    };
    out.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
    return 0;
  } finally {
    await ledger.close();
  }
}

/** `verify` only by an operator's decision: the reconciler never re-sends a call it could not rule out at Dstny. */
const RESENDABLE: readonly RowState[] = ['failed', 'missing', 'verify'];
const RENORMALIZABLE: readonly RowState[] = ['rejected', 'skipped', 'held'];

/**
 * `callbridge retry`: failed, missing and verify rows go back to pending (attempts reset); rejected, skipped and held
 * rows are normalized again with the current configuration (say, after an owner mapping was added).
 */
export async function runRetry(file: string, out: Out, opts: { states: string[]; ids?: string[] }): Promise<number> {
  const bad = opts.states.filter((s) => !RESENDABLE.includes(s as RowState) && !RENORMALIZABLE.includes(s as RowState));
  if (bad.length) {
    out.write(`cannot retry state ${bad.map((s) => `"${s}"`).join(', ')}: use ${[...RESENDABLE, ...RENORMALIZABLE].join(', ')}${bad.some((s) => rowStates.includes(s as RowState)) ? ' (the others are in progress or done)' : ''}\n`);
    return 2;
  }
  const loaded = load(file, out);
  if (typeof loaded === 'number') return loaded;
  const { config } = loaded;
  const dbFile = ledgerFile(config);
  if (!existsSync(dbFile)) {
    out.write(`no ledger at ${dbFile}: nothing to retry\n`);
    return 1;
  }
  const ledger = await openSqliteLedger(dbFile);
  try {
    const states = opts.states as RowState[];
    const filter = { states, ...(opts.ids?.length ? { externalIds: opts.ids } : {}) };
    const now = Date.now();
    const resend = states.filter((s) => RESENDABLE.includes(s));
    const moved = resend.length ? await ledger.requeue({ ...filter, states: resend }, now) : [];
    for (const id of moved) out.write(`${id}: pending (will be sent again)\n`);
    const again = states.filter((s) => RENORMALIZABLE.includes(s));
    let stillStuck = 0;
    if (again.length) {
      const links = recordingLinksFor(config, await loadOrCreateSigningSecret(config));
      const normalizer = buildNormalizer({ config, configDir: path.dirname(path.resolve(file)), links, linkClock: 'now' });
      const sourceFor = sourceLookup(config);
      for (const row of await ledger.query({ ...filter, states: again })) {
        const result = await renormalizeRow(row, { ledger, normalizer, sourceFor }, now);
        if (result.to !== 'pending') stillStuck++;
        out.write(`${result.externalId}: ${result.from} → ${result.to}${result.reason ? ` (${result.reason})` : ''}\n`);
      }
    }
    const requested = opts.ids?.length ?? 0;
    out.write(`${moved.length} row(s) queued to be sent again${again.length ? `, ${stillStuck} still not sendable` : ''}${requested ? ` (of ${requested} id(s) asked for)` : ''}\n`);
    return 0;
  } finally {
    await ledger.close();
  }
}

/**
 * `callbridge confirm <external id> <conversation id>`: an operator says which Dstny conversation a call is (a row
 * the reconciler kept because several listed conversations could be it). The row becomes confirmed; nothing is sent.
 */
export async function runConfirm(file: string, out: Out, opts: { externalId: string; conversationId: string }): Promise<number> {
  const loaded = load(file, out);
  if (typeof loaded === 'number') return loaded;
  const dbFile = ledgerFile(loaded.config);
  if (!existsSync(dbFile)) {
    out.write(`no ledger at ${dbFile}: nothing to confirm\n`);
    return 1;
  }
  const ledger = await openSqliteLedger(dbFile);
  try {
    const row = await ledger.get(opts.externalId);
    if (!row) {
      out.write(`no call with external id "${opts.externalId}" in the ledger\n`);
      return 1;
    }
    const [owner] = await ledger.query({ conversationIds: [opts.conversationId] });
    if (owner && owner.externalId !== row.externalId) {
      out.write(`conversation ${opts.conversationId} already belongs to call ${owner.externalId} (${owner.state}); not confirmed\n`);
      return 1;
    }
    const now = Date.now();
    const ok = await ledger.update(
      row.externalId,
      { state: 'confirmed', conversationId: opts.conversationId, confirmedAt: now, submittedAt: row.submittedAt ?? now, reason: 'confirmed by an operator', leaseOwner: null, leaseUntil: null, sendingAt: null },
      { states: CONFIRMABLE },
    );
    if (!ok) {
      out.write(`call ${row.externalId} is ${row.state}: only ${CONFIRMABLE.join(', ')} calls can be confirmed by hand\n`);
      return 1;
    }
    out.write(`${row.externalId}: confirmed as conversation ${opts.conversationId}\n`);
    return 0;
  } finally {
    await ledger.close();
  }
}

const CONFIRMABLE: RowState[] = ['verify', 'submitted', 'missing'];
