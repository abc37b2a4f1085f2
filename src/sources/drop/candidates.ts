/** What a stat says about a file's content without reading it: a writer changes at least one of these. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.dev === b.dev;
}

export interface Candidate extends FileStamp {
  /** When size/mtime/inode were last seen to change (or first seen). */
  stableSince: number;
  /** Renamed into place from a temporary name we saw being written: complete now. */
  renamed: boolean;
  /** Do not try again before this (ledger unavailable, a move that failed). */
  notBefore: number;
}

/**
 * The files of a drop folder as the scans saw them, and which of them are complete. A file is complete when its
 * stamp has not changed for `stableMs` as seen by this process (an mtime from a network server's clock is not
 * trusted on first sight), or when it was renamed into place from a temporary name whose inode we saw while it
 * was written. Bookkeeping only: the caller stats the folder and says what time it is.
 */
export class CandidateTable {
  private readonly candidates = new Map<string, Candidate>();
  /** dev:ino of temporary files seen, with their size: a later complete file with that inode was renamed into place. */
  private readonly temporaries = new Map<string, { size: number; seenAt: number }>();

  constructor(private readonly timing: { stableMs: number; rescanMs: number }) {}

  /** A temporary name (`.x`, `x.tmp`, `x.part`) in the listing. */
  sawTemporary(st: FileStamp, now: number): void {
    this.temporaries.set(`${st.dev}:${st.ino}`, { size: st.size, seenAt: now });
  }

  /** A file the adapter takes, in the listing: a new or changed stamp starts its quiet period again. */
  saw(name: string, st: FileStamp, now: number): void {
    const known = this.candidates.get(name);
    if (known && sameStamp(known, st)) return;
    const temp = this.temporaries.get(`${st.dev}:${st.ino}`);
    this.candidates.set(name, {
      size: st.size,
      mtimeMs: st.mtimeMs,
      dev: st.dev,
      ino: st.ino,
      stableSince: now,
      // A temporary that was larger is another file that happened to get the inode after it.
      renamed: temp !== undefined && temp.size <= st.size,
      notBefore: known?.notBefore ?? 0,
    });
  }

  /**
   * After a listing: forget the files no longer in it, and the temporaries not seen for long (their inode may be
   * reused by an unrelated file).
   */
  endScan(present: ReadonlySet<string>, now: number): void {
    for (const name of this.candidates.keys()) if (!present.has(name)) this.candidates.delete(name);
    const forget = now - Math.max(10 * 60_000, 3 * this.timing.rescanMs);
    for (const [key, t] of this.temporaries) if (t.seenAt < forget) this.temporaries.delete(key);
  }

  /** The complete files to import now, oldest first (by mtime, then name), so calls arrive roughly in order. */
  ready(now: number): Array<[string, Candidate]> {
    return [...this.candidates.entries()]
      .filter(([, c]) => c.notBefore <= now && (c.renamed || now - c.stableSince >= this.timing.stableMs))
      .sort(([an, a], [bn, b]) => a.mtimeMs - b.mtimeMs || an.localeCompare(bn));
  }

  /** When a scan should look again: the next candidate's quiet period ends or its retry is due; null when none waits. */
  nextCheckAt(now: number): number | null {
    let next = Infinity;
    for (const c of this.candidates.values()) {
      next = Math.min(next, Math.max(c.notBefore, c.renamed ? now : c.stableSince + this.timing.stableMs));
    }
    return next === Infinity ? null : next;
  }

  /** Left in place (the ledger went away, a move failed): not tried again before `at`. */
  retryAt(name: string, at: number): void {
    const c = this.candidates.get(name);
    if (c) c.notBefore = at;
  }

  /**
   * Found still being written when it was taken: its quiet period starts again from `now`, with the stamp it has
   * now; null when that is not known, so that the next scan stamps it afresh.
   */
  stillWritten(name: string, stamp: FileStamp | null, now: number): void {
    const c = this.candidates.get(name);
    if (!c) return;
    Object.assign(c, stamp ? { size: stamp.size, mtimeMs: stamp.mtimeMs, ino: stamp.ino, dev: stamp.dev } : { size: -1 }, { stableSince: now, renamed: false });
  }

  /** Imported, or moved aside: it is gone from the folder. */
  done(name: string): void {
    this.candidates.delete(name);
  }
}
