import path from 'node:path';
import { describeLedger, ledgerPlace } from '../ledger/open.js';
import { buildNormalizer } from '../bridge/pipeline.js';
import { recordingLinksFor } from '../bridge/recording-links.js';
import { checkAdminExposure } from '../config/checks-http.js';
import { checkPaths } from '../config/checks-paths.js';
import { checkRecordings } from '../config/checks-recordings.js';
import { checkSqlSources } from '../config/checks-sources.js';
import { CallbridgeError, ConfigError } from '../errors.js';
import { load, type Out } from './config-file.js';

/**
 * `callbridge check-config`: the same validation as start (adapter options, owners and contacts CSVs included), and
 * every path checked for what the bridge will do with it, as the user running the check, the upload bucket
 * reached with the bridge's credentials, and each CDR table read as its source will read it. It writes nothing.
 * Errors exit 2; warnings (a tailed file not there yet) are printed and the check passes.
 */
export async function runCheckConfig(file: string, out: Out): Promise<number> {
  const loaded = load(file, out);
  if (typeof loaded === 'number') return loaded;
  const { config } = loaded;
  const configDir = path.dirname(path.resolve(file));
  const findings = [
    ...(await checkPaths(config, { configDir, sandbox: !config.dstny.token })),
    ...(await checkRecordings(config)),
    ...(await checkSqlSources(config)),
    ...checkAdminExposure(config),
  ];
  const errors = findings.filter((f) => f.severity === 'error').map((f) => `${f.key}: ${f.message}`);
  const warnings = findings.filter((f) => f.severity === 'warning').map((f) => `warning: ${f.key}: ${f.message}\n`);
  // The CSVs' content is read only when they can be read: otherwise their path problem above says it better.
  if (!findings.some((f) => f.severity === 'error' && f.key.startsWith('normalize.'))) {
    try {
      buildNormalizer({ config, configDir, links: recordingLinksFor(config, 'check-config-only-not-a-secret'), linkClock: 'now' });
    } catch (error) {
      if (!(error instanceof CallbridgeError)) throw error;
      errors.push(...(error instanceof ConfigError ? error.problems.map((p) => `${csvKey(config, configDir, error.file)}${p}`) : [error.message]));
    }
  }
  out.write(warnings.join(''));
  if (errors.length) {
    out.write(`${new ConfigError(file, errors).message}\n`);
    return 2;
  }
  const mode = config.dstny.token ? `live (${config.dstny.baseUrl})` : 'sandbox (no DSTNY_API_TOKEN: the built-in emulator)';
  out.write(`${file}: OK\n  mode: ${mode}\n  sources: ${config.sources.map((s) => `${s.id} (${s.type}, ${s.adapter})`).join(', ') || 'none'}\n  ledger: ${describeLedger(ledgerPlace(config))}\n`);
  return 0;
}

/** The key that names a CSV whose lines are wrong, as a prefix: its problems name the file and line only. */
function csvKey(config: { normalize: { owners: { csv?: string | undefined }; contactsCsv?: string | undefined } }, configDir: string, file: string): string {
  const named = (csv: string | undefined) => csv !== undefined && path.resolve(configDir, csv) === path.resolve(file);
  if (named(config.normalize.owners.csv)) return 'normalize.owners.csv: ';
  if (named(config.normalize.contactsCsv)) return 'normalize.contactsCsv: ';
  return '';
}
