import os from 'node:os';
import type { Config } from '../config/schema.js';
import type { LedgerDamagedError } from '../errors.js';
import { HEARTBEAT_INTERVAL_MS } from '../ledger/heartbeat.js';
import type { Ledger } from '../ledger/ledger.js';
import { RetentionSweeper } from '../ledger/retention.js';
import { Held } from '../ledger/held.js';
import { describeLedger, ledgerPlace, openLedger, openLocks } from '../ledger/open.js';
import type { Logger } from '../log/logger.js';
import { VERSION } from '../version.js';
import { definePart } from './lifecycle.js';

/** The bridge's address as configured; a port of 0 is only known once it listens (`announce` then names it). */
function configuredUrl(config: Pick<Config, 'http'>): string | null {
  const { host, port } = config.http;
  if (port === 0) return null;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * While the bridge runs, it says so in its ledger every few seconds (host, pid, since when, version, HTTP address),
 * so `callbridge status` and `callbridge sandbox --reset`, run apart from it, know. A clean stop ends the heartbeat;
 * a killed bridge's beat just grows old.
 */
export function heartbeatOf(
  ledger: Pick<Ledger, 'beat' | 'endHeartbeat'>,
  opts: { httpUrl: string | null; intervalMs?: number; now?: () => number; roles?: () => string[] },
) {
  const now = opts.now ?? Date.now;
  const intervalMs = opts.intervalMs ?? HEARTBEAT_INTERVAL_MS;
  const startedAt = now();
  const me = { id: `${os.hostname()}:${process.pid}:${startedAt}`, host: os.hostname(), pid: process.pid, startedAt, intervalMs, version: VERSION };
  let httpUrl = opts.httpUrl;
  let timer: NodeJS.Timeout | null = null;
  let beating = false;
  // A beat that fails (the ledger busy or gone) is not the bridge's failure: every write path reports that itself.
  const beat = () => ledger.beat({ ...me, beatAt: now(), httpUrl, roles: opts.roles?.() ?? [] }).catch(() => undefined);
  return {
    id: me.id,
    /** The real HTTP address, once the server listens (a configured port of 0). */
    announce(url: string) {
      httpUrl = url;
      if (beating) void beat();
    },
    async start() {
      beating = true;
      await beat();
      timer = setInterval(() => void beat(), intervalMs);
      // The heartbeat never keeps the process alive on its own.
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      if (!beating) return;
      beating = false;
      await ledger.endHeartbeat(me.id, now()).catch(() => undefined);
    },
  };
}

export const ledgerPart = definePart({
  name: 'ledger',
  summary: 'The ledger (SQLite on a thread of its own, or PostgreSQL shared by replicas): one row per call, its state, and the checkpoints and stashed legs of the sources; its retention sweep.',
  async build({ config, logger, onDamaged }: { config: Config; logger?: Logger; onDamaged?: (error: LedgerDamagedError) => void }) {
    const place = ledgerPlace(config);
    const ledger = await openLedger(place, { thread: true, checkpointInBackground: true, ...(onDamaged ? { onDamaged } : {}) });
    const locks = openLocks(place);
    const heartbeat = heartbeatOf(ledger, { httpUrl: configuredUrl(config), roles: () => locks.held() });
    // One replica at a time sweeps a shared ledger.
    const retention = new Held(locks, 'retention', new RetentionSweeper(ledger, config.ledger.retention, logger ? { logger } : {}), { what: 'retention', ...(logger ? { logger } : {}) });
    return {
      ledger,
      /** The file, or the database without its password. */
      where: describeLedger(place),
      heartbeat,
      locks,
      async start() {
        await heartbeat.start();
        await retention.start();
      },
      async stop() {
        await retention.stop();
        await heartbeat.stop();
        await locks.close();
        await ledger.close();
      },
    };
  },
});
