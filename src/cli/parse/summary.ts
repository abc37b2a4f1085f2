import type { ParseLine } from './preview.js';

/** What `callbridge parse` printed, counted line by line for its closing stderr line. */
export class ParseTally {
  private payloads = 0;
  private skippedCalls = 0;
  private rejected = 0;
  /** An adapter's skip of a record that is not a call (a CMR record, an in-progress callback). */
  private otherRecords = 0;
  private errors = 0;
  private readonly skipReasons = new Map<string, number>();

  /** `problem`: the line is an adapter's error or skip about the input, not a call. */
  add(line: ParseLine, problem: boolean): void {
    if ('payload' in line) this.payloads += 1;
    else if (line.state === 'skipped') {
      if (problem) this.otherRecords += 1;
      else this.skippedCalls += 1;
      const group = reasonGroup(line.error);
      this.skipReasons.set(group, (this.skipReasons.get(group) ?? 0) + 1);
    } else if (problem) this.errors += 1;
    else this.rejected += 1;
  }

  /** e.g. "5 calls (3 payloads, 1 skipped, 1 rejected), 0 other records, 2 input errors; skipped: unanswered call (1)" */
  text(): string {
    const calls = this.payloads + this.skippedCalls + this.rejected;
    let text = `${count(calls, 'call')} (${count(this.payloads, 'payload')}, ${this.skippedCalls} skipped, ${this.rejected} rejected), `;
    text += `${this.otherRecords} other record${this.otherRecords === 1 ? '' : 's'} skipped, ${count(this.errors, 'input error')}`;
    if (this.skipReasons.size) {
      const reasons = [...this.skipReasons.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      text += `; skipped: ${reasons.map(([reason, n]) => `${reason} (${n})`).join(', ')}`;
    }
    return text;
  }
}

/**
 * A skip reason without what differs from call to call, so like reasons count together: "unanswered call (NO
 * ANSWER)" and "unanswered call (BUSY)" are both "unanswered call"; ids and numbers become "…".
 */
export function reasonGroup(reason: string): string {
  const general = reason
    .replace(/\s*\([^()]*\)/g, '')
    .split(/[;:]\s/)[0]!
    .split(/\s+/)
    .map((word) => (/\d/.test(word) ? '…' : word))
    .join(' ')
    .trim();
  return general || reason;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
