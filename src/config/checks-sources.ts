import { cdrTableOf, describeTableError, documentsAbsentText, fitOf, missingColumnsText, scanWarningText } from '../sources/sql/tables.js';
import type { PathFinding } from './checks-paths.js';
import type { Config } from './schema.js';

/**
 * Each sql source's table reached as the bridge will reach it (same url, user and driver; nothing written): a
 * database it cannot connect to or read, or a table without a column its profile reads, is an error; a poll
 * that would read the whole table (no index on the cursor) is a warning naming the column to index.
 */
export async function checkSqlSources(config: Pick<Config, 'sources'>, opts: { timeoutMs?: number } = {}): Promise<PathFinding[]> {
  const findings: PathFinding[] = [];
  for (const [i, source] of config.sources.entries()) {
    if (source.type !== 'sql') continue;
    const { table, profile } = cdrTableOf(source, opts.timeoutMs ?? 10_000);
    try {
      const fit = await fitOf(table, profile);
      if (fit.missing.length) {
        findings.push({ severity: 'error', key: `sources[${i}].table`, message: `${missingColumnsText(table, fit.missing)}; the ${source.profile} profile reads them` });
      }
      if (!fit.indexed) findings.push({ severity: 'warning', key: `sources[${i}].table`, message: scanWarningText(table, profile) });
      if (profile.documents && fit.documents === false) findings.push({ severity: 'warning', key: `sources[${i}].table`, message: documentsAbsentText(table, profile.documents) });
    } catch (error) {
      findings.push({ severity: 'error', key: `sources[${i}].url`, message: `${describeTableError(table, error)}; the source would retry until it can read it` });
    } finally {
      await table.close();
    }
  }
  return findings;
}
