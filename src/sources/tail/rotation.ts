import type { TailPosition } from './checkpoint.js';

/** What a stat of the path tells: which file it names now, and how long that file is. */
export interface PathStat {
  dev: number;
  ino: number;
  size: number;
}

/**
 * What became of the file a tail reads, judged from the stat of its path now:
 * - `missing`: nothing at the path (renamed away; the PBX has not created the new file yet);
 * - `rotated`: the path names another file (renamed away and recreated, or replaced by another file);
 * - `truncated`: the same inode, but shorter than what was read, or no longer starting with the bytes that were
 *   read (copytruncate with new lines written past our offset before we looked, or the file rewritten in place);
 * - `grown`: the same file with bytes after our offset; `unchanged`: the same file, nothing new.
 *
 * `headMatches` says whether the file at the path starts with the bytes the position fingerprinted; it is only
 * consulted when the path still names our inode.
 */
export type TailVerdict = 'missing' | 'rotated' | 'truncated' | 'grown' | 'unchanged';

export function judgeTail(at: Pick<TailPosition, 'dev' | 'ino' | 'offset'>, onPath: PathStat | null, headMatches: boolean): TailVerdict {
  if (!onPath) return 'missing';
  if (onPath.dev !== at.dev || onPath.ino !== at.ino) return 'rotated';
  if (onPath.size < at.offset || !headMatches) return 'truncated';
  return onPath.size > at.offset ? 'grown' : 'unchanged';
}

/** How a rotated file is watched while it is finished: the PBX may write a last record before it reopens. */
export interface RotatedWatch {
  lastSize: number;
  /** When the size was last seen to change (or first seen). */
  lastGrowth: number;
}

/**
 * Whether a rotated file, now `size` bytes long, may be finished and left: once it has not grown for `graceMs`.
 * `watch` is null at the first poll after the rotation was seen; the result's watch goes to the next poll.
 */
export function rotatedFileQuiet(watch: RotatedWatch | null, size: number, now: number, graceMs: number): { watch: RotatedWatch; quiet: boolean } {
  if (!watch || size !== watch.lastSize) return { watch: { lastSize: size, lastGrowth: now }, quiet: graceMs <= 0 };
  return { watch, quiet: now - watch.lastGrowth >= graceMs };
}

/**
 * Names in the tailed file's folder that may be it rotated or copied: `Master.csv.1`, `Master.csv-20240101`,
 * `Master.csv.1.gz` (a compressed one never fingerprints as ours, so it is passed over).
 */
export function isSiblingName(base: string, name: string): boolean {
  return name !== base && name.startsWith(base);
}

/**
 * The siblings worth opening to finish what a position had not read yet, in the order to try them: regular files
 * that `accept` takes and that are at least as long as the offset (a shorter one cannot hold the rest), the most
 * recently written first (the latest rotation).
 */
export function siblingCandidates<S extends { isFile(): boolean; size: number; mtimeMs: number }>(
  found: ReadonlyArray<{ name: string; st: S }>,
  offset: number,
  accept: (st: S) => boolean,
): Array<{ name: string; st: S }> {
  return found.filter(({ st }) => st.isFile() && st.size >= offset && accept(st)).sort((a, b) => b.st.mtimeMs - a.st.mtimeMs);
}
