import type { IngestSummary } from '../../pipeline/types.js';
import type { SourceConfig } from '../config.js';

/** The text of `<name>.error.txt`: what a person needs to fix the file and drop it again. */
export function errorReport(
  file: string,
  source: Pick<SourceConfig, 'id' | 'adapter'>,
  errors: IngestSummary['errors'],
  errorCount: number,
  /** Calls imported, or null when reading stopped part-way (some may have been committed). */
  imported: number | null,
  now: number,
): string {
  const head = [
    `callbridge, source "${source.id}" (adapter ${source.adapter}), ${new Date(now).toISOString()}`,
    `file: ${file}`,
    imported === null
      ? 'The file could not be read to its end. Calls read before the problem may be in the ledger already; fix the file and drop it again (calls already there are recognised, never sent twice).'
      : imported > 0
        ? `${imported} call(s) were imported; ${errorCount} part(s) of the file could not be read. Fix them and drop only those calls again.`
        : 'Nothing was imported from this file. Fix it and drop it again.',
    '',
  ];
  const lines = errors.map((e) => `${e.location}: ${e.message}`);
  // The ingestor keeps only the first errors of a file; say how many more there were.
  if (errorCount > errors.length) lines.push(`... and ${errorCount - errors.length} more`);
  return `${[...head, ...lines].join('\n')}\n`;
}
