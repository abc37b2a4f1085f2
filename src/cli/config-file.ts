import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CallbridgeError, LedgerUnavailableError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { describeLedger, ledgerMayExist, ledgerPlace, openLedger } from '../ledger/open.js';

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
  const ledger = await openConfiguredLedger(loaded.config, out, 'yet: the bridge has not run with this configuration');
  if (typeof ledger === 'number') return ledger;
  try {
    return await use(ledger, loaded.config);
  } finally {
    await ledger.close();
  }
}

/**
 * The configuration's ledger (its SQLite file, or its PostgreSQL database), or the exit code after saying why not: no
 * SQLite file yet (`missing` ends the line), or a database that cannot be reached.
 */
export async function openConfiguredLedger(config: Config, out: Out, missing: string): Promise<Ledger | number> {
  const place = ledgerPlace(config);
  if (!ledgerMayExist(place)) {
    out.write(`no ledger at ${describeLedger(place)} ${missing}\n`);
    return 1;
  }
  try {
    return await openLedger(place);
  } catch (error) {
    if (!(error instanceof LedgerUnavailableError)) throw error;
    out.write(`${error.message}\n`);
    return 1;
  }
}
