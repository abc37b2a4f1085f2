import { existsSync } from 'node:fs';
import { ledgerFile } from '../bridge/ledger.js';
import { openSqliteLedger } from '../ledger/sqlite.js';
import { formatStatus } from '../status/report.js';
import { VERSION } from '../version.js';
import { load, type Out } from './config-file.js';

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
