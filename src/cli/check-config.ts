import path from 'node:path';
import { ledgerFile } from '../bridge/ledger.js';
import { buildNormalizer } from '../bridge/pipeline.js';
import { recordingLinksFor } from '../bridge/recording-links.js';
import { CallbridgeError } from '../errors.js';
import { load, type Out } from './config-file.js';

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
