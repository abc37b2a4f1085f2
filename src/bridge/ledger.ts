import path from 'node:path';
import type { Config } from '../config/schema.js';
import { openSqliteLedger } from '../ledger/sqlite.js';
import { definePart } from './lifecycle.js';

export function ledgerFile(config: Pick<Config, 'ledger' | 'dataDir'>): string {
  return path.resolve(config.ledger.path ?? path.join(config.dataDir, 'callbridge.sqlite'));
}

export const ledgerPart = definePart({
  name: 'ledger',
  summary: 'The SQLite ledger: one row per call, its state, and the checkpoints and stashed legs of the sources.',
  async build({ config }: { config: Config }) {
    const file = ledgerFile(config);
    const ledger = await openSqliteLedger(file);
    return { ledger, file, stop: () => ledger.close() };
  },
});
