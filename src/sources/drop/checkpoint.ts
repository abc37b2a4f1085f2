/**
 * A drop folder keeps no position in a file (legs are grouped across the whole file, so a byte offset does not mark
 * a set of complete calls): its checkpoints only say "this exact content was imported", keyed by the sha256 of
 * the content, so that renames and re-drops of the same file are recognised.
 */
export function importedKey(sourceId: string, sha256: string): string {
  return `drop:${sourceId}:sha256:${sha256}`;
}

/** What an `importedKey` checkpoint holds: for the log line when the same content comes back. */
export interface ImportedRecord {
  /** The name the file had. */
  file: string;
  /** ISO time. */
  importedAt: string;
  calls: number;
}

export function encodeImported(record: ImportedRecord): string {
  return JSON.stringify({ file: record.file, importedAt: record.importedAt, calls: record.calls });
}

/** "as <file> at <time>", from a stored record; only its presence counts, so any value is described somehow. */
export function describeImported(value: string): string {
  try {
    const v = JSON.parse(value) as Partial<ImportedRecord>;
    return `as ${v.file ?? '?'} at ${v.importedAt ?? '?'}`;
  } catch {
    return 'earlier';
  }
}
