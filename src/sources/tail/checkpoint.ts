/**
 * Where a tail stands, kept in the ledger and committed in the same transaction as the rows it produced.
 * The file is recognised by device+inode AND by a fingerprint of its first bytes (up to FP_BYTES of what was
 * already read): an inode alone is reused after deletion, and a fingerprint alone is the same for files that
 * start with the same header.
 */
export interface TailCheckpoint {
  v: 1;
  dev: number;
  ino: number;
  /** Byte offset just after the last line committed. */
  offset: number;
  /** Line number (1-based) of the line that starts at `offset`. */
  line: number;
  /** Number of leading bytes the fingerprint covers: min(offset, FP_BYTES). */
  fpLen: number;
  /** sha256 hex of the first `fpLen` bytes. */
  fp: string;
}

/** A checkpoint without its format version: what a cursor carries while it reads. */
export type TailPosition = Omit<TailCheckpoint, 'v'>;

export const FP_BYTES = 512;

export function tailCheckpointKey(sourceId: string): string {
  return `tail:${sourceId}`;
}

/** Only the position's own fields: a cursor also carries its open file, which is no part of a checkpoint. */
export function positionOf(at: TailPosition): TailPosition {
  return { dev: at.dev, ino: at.ino, offset: at.offset, line: at.line, fpLen: at.fpLen, fp: at.fp };
}

/** The ledger value. Field order as written since v1, so the stored text of an unchanged position stays the same. */
export function encodeCheckpoint(at: TailPosition): string {
  const checkpoint: TailCheckpoint = { v: 1, ...positionOf(at) };
  return JSON.stringify(checkpoint);
}

/** The checkpoint in a ledger value; null for none, or one this version cannot trust (then the file is read anew). */
export function parseCheckpoint(value: string | null): TailCheckpoint | null {
  if (value === null) return null;
  try {
    const c = JSON.parse(value) as Partial<TailCheckpoint> | null;
    if (c === null || typeof c !== 'object') return null;
    const nums = [c.dev, c.ino, c.offset, c.line, c.fpLen];
    if (c.v !== 1 || nums.some((n) => typeof n !== 'number' || !Number.isFinite(n)) || typeof c.fp !== 'string') return null;
    return { v: 1, dev: c.dev!, ino: c.ino!, offset: c.offset!, line: c.line!, fpLen: c.fpLen!, fp: c.fp };
  } catch {
    return null;
  }
}
