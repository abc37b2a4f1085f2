/**
 * A process that changes a SQLite ledger without pause until it is killed: puts, state changes, claims, compactions
 * and deletions, each its own transaction. It prints a line after each round so its parent knows when to SIGKILL it
 * (test/ledger/sqlite.test.ts: the counts kept per state survive a crash).
 *   node --import tsx test/support/ledger-churn-child.ts FILE
 */
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { pendingRow } from './rows.js';

const ledger = await openSqliteLedger(process.argv[2]!);
for (let round = 0; round < 100_000; round++) {
  const ids = Array.from({ length: 20 }, (_, i) => `r${round}-${i}`);
  await ledger.put(ids.map((id, i) => pendingRow(id, i % 4 === 0 ? { state: 'skipped', payload: null, reason: 'unanswered' } : {})));
  const now = Date.now();
  for (const row of await ledger.claimDue({ now, limit: 10, owner: 'churn', leaseMs: 60_000 })) {
    await ledger.update(row.externalId, { state: 'confirmed', submittedAt: now, confirmedAt: now }, { states: ['submitting'] });
  }
  await ledger.compact({ before: now + 1, limit: 7, now });
  await ledger.forget({ before: now + 1, limit: 3 });
  process.stdout.write(`${round}\n`);
}
