import type { CallRecord } from '../call-record.js';
import { localChannel } from './channels.js';
import type { Row } from './row.js';

/**
 * Whether the Master.csv rows of one call (one linkedid) are all written. cdr_csv writes a channel's rows when
 * the channel hangs up, one line each, and nothing in a row says it is the call's last; what tells is how rows of
 * Local channels answer for each other (test/fixtures/asterisk-real/, README §4):
 *
 * - the originating channel (uniqueid = linkedid) has written its row;
 * - every Local channel named anywhere (as channel or dstchannel) has a row of its `;2` half: the half that runs
 *   the dialplan writes one when it hangs up, the callee's leg row (`Local/3101@desk-…;2`);
 * - every Local pair that wrote a row is accounted for: it holds the originating channel, or a row dialled it
 *   (its `;1` half is some row's dstchannel). A callee's leg row with no Dial/Queue row naming it yet means the
 *   caller's rows for that attempt (the second queue member, a ring group's fallback) are still to come;
 * - a pair whose two halves both wrote rows started and ended at one moment (the halves of a Local channel are
 *   created and hang up together): a half whose rows start later or end earlier has rows still to come (a
 *   caller's first queue attempt, its fallback Dial after a ring group);
 * - a dialled party hung up with the bridge to it (one that went on was handed on by a transfer);
 * - a Dial of several targets at once (a ring group) has a row for each.
 *
 * Not known, so false (the call waits for its quiet period):
 * - a call nobody answered: its caller may go on in the dialplan (a fallback Dial, voicemail, the post-Dial row
 *   Asterisk writes after an unanswered Dial), and none of that is announced;
 * - a device channel (`PJSIP/…`, `SIP/…`, `DAHDI/…`): a dialled phone or trunk writes a row only if a transfer
 *   later makes it a caller, and no row of the call says whether that will happen;
 * - a transfer (an `AppDial` row, a dialled `;1` half that dials on its own, a caller bridged to a second party
 *   after answering), and a Dial or Queue told to go on after the bridge (Dial `g` / `F`, Queue `c`);
 * - rows without the columns this needs (linkedid, uniqueid, channel, dstchannel, lastapp, lastdata, start, end).
 */
export function completeAsteriskCall(legs: CallRecord[]): boolean {
  const rows: Row[] = [];
  for (const leg of legs) {
    if (!leg.raw || typeof leg.raw !== 'object' || Array.isArray(leg.raw)) return false;
    rows.push(leg.raw as Row);
  }
  const linkedid = rows[0]?.linkedid;
  if (!linkedid) return false;
  for (const row of rows) {
    if (row.linkedid !== linkedid || !row.uniqueid || !row.channel || row.dstchannel === undefined || row.lastapp === undefined) return false;
    if (row.lastdata === undefined || timeOf(row.start) === undefined || timeOf(row.end) === undefined) return false;
  }
  if (!rows.some((row) => row.uniqueid === linkedid)) return false;

  const bridges = rows.filter((row) => row.dstchannel);
  if (!bridges.some(answered)) return false;
  if (bridges.some((row) => !understoodBridge(row, linkedid))) return false;
  // One caller bridged to a second party after answering the first: re-bridged by an attended transfer.
  const answeredBy = new Map<string, number>();
  for (const row of bridges.filter(answered)) answeredBy.set(row.uniqueid as string, (answeredBy.get(row.uniqueid as string) ?? 0) + 1);
  if ([...answeredBy.values()].some((n) => n > 1)) return false;
  if (!everyTargetRung(bridges)) return false;

  const pairs = new Map<string, Pair>();
  const pairOf = (name: string) => {
    let pair = pairs.get(name);
    if (!pair) pairs.set(name, (pair = { half1: [], half2: [], dialledBy: [], origin: false }));
    return pair;
  };
  for (const row of rows) {
    const own = localChannel(row.channel);
    if (!own) return false;
    const pair = pairOf(own.pair);
    (own.half === 1 ? pair.half1 : pair.half2).push(row);
    if (row.uniqueid === linkedid) pair.origin = true;
    if (row.dstchannel) {
      const dialled = localChannel(row.dstchannel);
      if (!dialled) return false;
      pairOf(dialled.pair).dialledBy.push(row);
    }
  }
  for (const pair of pairs.values()) {
    if (!pair.half2.length) return false;
    if (!pair.origin && !pair.dialledBy.length) return false;
    // The halves of a pair are created and hang up together: a half whose rows start later or end earlier than
    // its other half's has rows still to come (the first queue attempt, the fallback Dial after a ring group).
    if (pair.half1.length && !(sameMoment(firstStart(pair.half1), firstStart(pair.half2)) && sameMoment(lastEnd(pair.half1), lastEnd(pair.half2)))) {
      return false;
    }
    // A dialled party hangs up when the bridge to it ends; one that went on after it was handed on (a transfer
    // whose rows are still to come).
    if (pair.dialledBy.length && lastEnd(pair.half2) - lastEnd(pair.dialledBy) > SAME_MOMENT_MS) return false;
  }
  return true;
}

interface Pair {
  half1: Row[];
  half2: Row[];
  /** The rows whose dstchannel is this pair's `;1` half. */
  dialledBy: Row[];
  /** Holds the originating channel. */
  origin: boolean;
}

/** The printed times are whole seconds, and the two halves of a pair may hang up either side of one. */
const SAME_MOMENT_MS = 1_000;

function answered(row: Row): boolean {
  return row.disposition?.trim().toUpperCase() === 'ANSWERED';
}

/**
 * A Dial or Queue row of the calls whose rows are understood: made by the originating channel or by a `;2` half
 * (a `;1` half that dials is a transferred party), and not told to go on in the dialplan after the bridge.
 */
function understoodBridge(row: Row, linkedid: string): boolean {
  const app = row.lastapp?.trim().toLowerCase();
  if (app !== 'dial' && app !== 'queue') return false;
  if (localChannel(row.channel)?.half === 1 && row.uniqueid !== linkedid) return false;
  const args = (row.lastdata ?? '').split(',');
  // Option arguments in parentheses (`U(sub^arg)`, `M(macro)`) are not options.
  const options = (args[app === 'dial' ? 2 : 1] ?? '').replace(/\([^)]*\)/g, '');
  return app === 'dial' ? !/[gF]/.test(options) : !options.includes('c');
}

/**
 * A Dial of several targets at once (a ring group, `A&B&C`) writes one row per target, all with the Dial's start
 * and lastdata: fewer rows than targets means the others are still to come.
 */
function everyTargetRung(bridges: Row[]): boolean {
  const rowsPerDial = new Map<string, number>();
  for (const row of bridges) {
    if (row.lastapp?.trim().toLowerCase() !== 'dial') continue;
    const key = [row.uniqueid, row.start, row.lastdata].join('\u0001');
    rowsPerDial.set(key, (rowsPerDial.get(key) ?? 0) + 1);
  }
  for (const row of bridges) {
    const count = rowsPerDial.get([row.uniqueid, row.start, row.lastdata].join('\u0001'));
    if (count === undefined) continue;
    const targets = (row.lastdata ?? '').split(',', 1)[0]?.split('&').filter((t) => t.trim()).length ?? 0;
    if (count < targets) return false;
  }
  return true;
}

/** A time column as a number (its zone does not matter: only times of one call are compared). */
function timeOf(text: string | undefined): number | undefined {
  const t = text?.trim();
  if (!t || !/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/.test(t)) return undefined;
  const ms = Date.parse(`${t.slice(0, 10)}T${t.slice(11, 19)}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

// Rows without a readable time never get here (completeAsteriskCall refuses them first).
function lastEnd(rows: Row[]): number {
  return Math.max(...rows.map((row) => timeOf(row.end) ?? Number.NaN));
}

function firstStart(rows: Row[]): number {
  return Math.min(...rows.map((row) => timeOf(row.start) ?? Number.NaN));
}

function sameMoment(a: number, b: number): boolean {
  return Math.abs(a - b) <= SAME_MOMENT_MS;
}
