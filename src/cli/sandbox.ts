import { existsSync } from 'node:fs';
import { ledgerFile } from '../ledger/open.js';
import { earlierRunLine } from '../bridge/sandbox.js';
import { applySandboxReset, planSandboxReset } from '../bridge/sandbox-reset.js';
import { bridgePresence, processGoneLocally } from '../ledger/heartbeat.js';
import { openSqliteLedger } from '../ledger/sqlite.js';
import { load, type Out } from './config-file.js';

/**
 * `callbridge sandbox [--reset]`: what an earlier sandbox run left, and with --reset, remove it (the ledger, the sample
 * CDRs and processed/ of the sandbox drop folders, the sandbox recordings) so the next start begins afresh. Refused
 * for a live configuration (a token is set) and while a bridge runs on the ledger (its heartbeat says so).
 */
export async function runSandbox(file: string, out: Out, opts: { reset: boolean; now?: number }): Promise<number> {
  const loaded = load(file, out);
  if (typeof loaded === 'number') return loaded;
  const { config } = loaded;
  if (config.dstny.token) {
    // Never the token itself: only that one is set.
    out.write(`${file} is a live configuration (a Dstny token is set by dstny.token or DSTNY_API_TOKEN): there is no sandbox to ${opts.reset ? 'reset; nothing was removed' : 'describe'}\n`);
    return 1;
  }
  const db = ledgerFile(config);
  if (!existsSync(db)) {
    if (!opts.reset) {
      out.write(`sandbox: no run yet (no ledger at ${db}); \`npm start\` copies the sample CDRs and delivers them\n`);
      return 0;
    }
  } else {
    const ledger = await openSqliteLedger(db);
    try {
      const presence = bridgePresence(await ledger.heartbeats(), opts.now ?? Date.now(), processGoneLocally);
      if (!opts.reset) {
        out.write(`${earlierRunLine((await ledger.stats()).counts)}\n`);
        return 0;
      }
      if (presence.running) {
        const h = presence.heartbeat;
        out.write(`a bridge is running on the ledger ${db} (pid ${h.pid} on ${h.host} since ${new Date(h.startedAt).toISOString()}): stop it first; nothing was removed\n`);
        return 1;
      }
    } finally {
      await ledger.close();
    }
  }
  const plan = planSandboxReset(config);
  applySandboxReset(plan);
  for (const target of plan.remove) out.write(`removed ${target}\n`);
  for (const what of plan.kept) out.write(`kept ${what}\n`);
  out.write(
    plan.remove.length
      ? 'sandbox reset: the next `npm start` copies the sample CDRs again and delivers them\n'
      : 'sandbox reset: nothing to remove (the sandbox has not run with this configuration)\n',
  );
  return 0;
}
