import type { NewRow, PutOutcome } from '../../ledger/ledger.js';
import { skipKindOf } from '../../pipeline/skip-kinds.js';

const SHOWN_REASONS = 5;
const SHOWN_ERRORS = 3;

/** What an import did, row by row as it was committed; its summary is what the operator reads at the end. */
export class ImportTally {
  accepted = 0;
  duplicates = 0;
  /** A newer version of a call that was not sent yet replaced it. */
  updated = 0;
  /** A different version of a call Dstny already has: kept as it was. */
  conflicts = 0;
  outside = 0;
  readonly skipped = new Map<string, number>();
  readonly rejected = new Map<string, number>();
  readonly errors: string[] = [];
  errorCount = 0;
  /** Calls committed (any outcome but outside): the progress count. */
  calls = 0;

  committed(row: NewRow, outcome: PutOutcome | 'outside'): void {
    if (outcome === 'outside') {
      this.outside += 1;
      return;
    }
    this.calls += 1;
    if (outcome === 'duplicate') this.duplicates += 1;
    else if (outcome === 'conflict') this.conflicts += 1;
    else if (row.state === 'skipped') bump(this.skipped, skipKindOf(row.reason));
    else if (row.state === 'rejected') bump(this.rejected, row.reason ?? 'no reason');
    else if (outcome === 'updated') this.updated += 1;
    else this.accepted += 1;
  }

  /** The adapter's own filter skipped a record (not a call). */
  skippedByAdapter(): void {
    this.calls += 1;
    bump(this.skipped, 'adapter');
  }

  error(location: string, message: string): void {
    this.errorCount += 1;
    if (this.errors.length < SHOWN_ERRORS) this.errors.push(`${location}: ${message}`);
  }

  /** In a dry run, the calls the real ledger has already: duplicates, as the import would find them. */
  alreadyThere(count: number): void {
    this.accepted -= count;
    this.duplicates += count;
  }

  /** The summary lines, "would be" for a dry run. */
  lines(dryRun: boolean): string[] {
    const verb = dryRun ? 'would be ' : '';
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    const top = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, SHOWN_REASONS)
        .map(([reason, n]) => `${n} ${reason}`)
        .join('; ') + (m.size > SHOWN_REASONS ? `; … (${m.size - SHOWN_REASONS} more reasons)` : '');
    const lines = [`  accepted    ${this.accepted} ${verb}queued behind the live calls`];
    if (this.updated) lines.push(`  updated     ${this.updated} (${verb}replacing a version not sent yet)`);
    lines.push(`  duplicates  ${this.duplicates} (already in the ledger: not sent again)`);
    if (this.conflicts) lines.push(`  conflicts   ${this.conflicts} (differ from a call already sent: kept as sent)`);
    if (this.outside) lines.push(`  outside     ${this.outside} (start outside --since/--until)`);
    if (this.skipped.size) lines.push(`  skipped     ${sum(this.skipped)}: ${top(this.skipped)}`);
    if (this.rejected.size) lines.push(`  rejected    ${sum(this.rejected)}: ${top(this.rejected)}`);
    if (this.errorCount) {
      lines.push(`  unreadable  ${this.errorCount} record(s): ${this.errors.join('; ')}${this.errorCount > this.errors.length ? `; … and ${this.errorCount - this.errors.length} more` : ''}`);
    }
    return lines;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
