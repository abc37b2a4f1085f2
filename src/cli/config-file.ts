import { existsSync } from 'node:fs';
import { ledgerFile } from '../bridge/ledger.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CallbridgeError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { openSqliteLedger } from '../ledger/sqlite.js';

export type Out = NodeJS.WritableStream;

/** Load the config, or print why not and return the exit code. */
export function load(file: string, out: Out): { config: Config } | number {
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

/** Open the configuration's ledger for reading, or say why not (exit code). */
export async function withLedger(file: string, out: Out, use: (ledger: Ledger, config: Config) => Promise<number>): Promise<number> {
  const loaded = load(file, out);
  if (typeof loaded === 'number') return loaded;
  const dbFile = ledgerFile(loaded.config);
  if (!existsSync(dbFile)) {
    out.write(`no ledger at ${dbFile} yet: the bridge has not run with this configuration\n`);
    return 1;
  }
  const ledger = await openSqliteLedger(dbFile);
  try {
    return await use(ledger, loaded.config);
  } finally {
    await ledger.close();
  }
}
