import { createHash } from 'node:crypto';
import type { CallRecord, Connection, Party } from '../call-record.js';
import type { ParseItem } from '../types.js';
import type { AsteriskColumn } from './columns.js';
import { localChannel } from './channels.js';
import type { AsteriskCsvOptions } from './options.js';
import { compileTemplate, mapPath, recordingFromValue, type Recording } from '../shared/recording-template.js';
import { datePartsText, parseSeconds } from '../shared/times.js';
import { wallClockToIso } from '../shared/wall-clock.js';

export type Row = Partial<Record<AsteriskColumn, string>>;

/** What turning a row into a leg needs besides the row: compiled once per parse. */
export interface RowContext {
  options: AsteriskCsvOptions;
  extension: RegExp | undefined;
  template: RenderTemplate | undefined;
  pool: ValuePool;
}

const OUTCOMES: ReadonlyMap<string, CallRecord['outcome']> = new Map([
  ['ANSWERED', 'answered'],
  ['NO ANSWER', 'no-answer'],
  ['NOANSWER', 'no-answer'],
  ['BUSY', 'busy'],
  ['FAILED', 'failed'],
  ['CONGESTION', 'failed'],
]);

/**
 * `"Alice Smith" <100>` → name + number; `Alice <100>`, `<100>` and a bare name also occur. Asterisk does not
 * escape quotes inside the name (`"Karin "KS" Svensson" <0731112233>`), so the outermost quotes delimit it.
 */
export function parseCallerId(clid: string): { name?: string; number?: string } {
  let name = clid;
  let number = '';
  const open = clid.lastIndexOf('<');
  const close = clid.lastIndexOf('>');
  if (open >= 0 && close > open && (close === clid.length - 1 || clid.slice(close + 1).trim() === '')) {
    name = clid.slice(0, open);
    number = clid.slice(open + 1, close).trim();
  }
  name = name.trim();
  if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).replace(/\\"/g, '"').trim();
  const out: { name?: string; number?: string } = {};
  if (name) out.name = name;
  if (number) out.number = number;
  return out;
}

/** A time column as CallRecord spells it; undefined when empty. `null` when it is not a time. */
function time(text: string | undefined, gmt: boolean): string | undefined | null {
  if (!text) return undefined;
  const iso = wallClockToIso(text);
  if (!iso) return null;
  return gmt ? `${iso}Z` : iso;
}

function notATime(column: 'start' | 'answer' | 'end', text: string | undefined): string {
  return `${column}: "${text ?? ''}" is not a time (expected YYYY-MM-DD HH:MM:SS)`;
}

/**
 * One row → the leg it describes, or a located error naming the column that is wrong. A row with a
 * dstchannel is a bridge the PBX made (Dial, Queue, a transfer's AppDial: see `connectionOf`); a row without
 * one is a channel's own record (a callee's leg, an originated channel, a post-Dial `Hangup`).
 */
export function rowToItem(row: Row, fields: readonly string[], location: string, ctx: RowContext): Extract<ParseItem, { kind: 'leg' | 'error' }> {
  const gmt = ctx.options.usegmtime;
  const startTime = time(row.start, gmt);
  const answerTime = time(row.answer, gmt);
  const endTime = time(row.end, gmt);
  if (startTime === null) return { kind: 'error', location, message: notATime('start', row.start) };
  if (answerTime === null) return { kind: 'error', location, message: notATime('answer', row.answer) };
  if (endTime === null) return { kind: 'error', location, message: notATime('end', row.end) };
  if (!startTime) return { kind: 'error', location, message: 'start: empty; a call needs a start time' };
  let duration: number | undefined;
  let billsec: number | undefined;
  if (row.duration) {
    duration = parseSeconds(row.duration);
    if (duration === undefined) return { kind: 'error', location, message: `duration: "${row.duration}" is not a whole number of seconds` };
  }
  if (row.billsec) {
    billsec = parseSeconds(row.billsec);
    if (billsec === undefined) return { kind: 'error', location, message: `billsec: "${row.billsec}" is not a whole number of seconds` };
  }

  const uniqueid = row.uniqueid || undefined;
  const linkedid = row.linkedid || undefined;
  const groupKey = linkedid ?? uniqueid ?? `row-${createHash('sha1').update(fields.join('\u0001')).digest('hex').slice(0, 20)}`;
  const disposition = (row.disposition ?? '').trim();
  const outcome = OUTCOMES.get(disposition.toUpperCase()) ?? 'unknown';
  const from = callerParty(row, ctx);
  const to = calleeParty(row, ctx);

  const leg: CallRecord = { externalId: groupKey, location, startTime, from, to, outcome, legs: 1, raw: row };
  if (answerTime && outcome === 'answered') leg.answerTime = answerTime;
  if (endTime) leg.endTime = endTime;
  if (duration !== undefined) leg.durationSec = duration;
  if (billsec !== undefined) leg.talkSec = billsec;
  if (disposition) leg.disposition = disposition;
  const recording = recordingOf(row, startTime, ctx);
  if (recording) leg.recording = recording;
  return { kind: 'leg', groupKey, leg };
}

/**
 * The connection a row with a dstchannel records (a Dial, one Queue attempt, a transfer's AppDial); none for a
 * row without one. Built when a call of several rows is merged, not per row: most calls are one row.
 */
export function connectionOf(leg: CallRecord): Connection | undefined {
  const row = leg.raw as Row;
  if (!row.dstchannel) return undefined;
  const connection: Connection = { from: leg.from, to: leg.to, answered: leg.outcome === 'answered', startTime: leg.startTime };
  if (leg.answerTime) connection.answerTime = leg.answerTime;
  if (leg.endTime) connection.endTime = leg.endTime;
  if (leg.talkSec !== undefined && leg.answerTime) connection.talkSec = leg.talkSec;
  const via = viaOf(row);
  if (via) connection.via = via;
  return connection;
}

/**
 * The party on `channel`'s side. A Local `;1` half is the party it was dialled as (a click-to-call agent,
 * a transferred outside party: Asterisk gives it the dialled number as caller id only sometimes); a `;2` half
 * runs on behalf of whoever called, whose caller id it carries; a device is a phone when the extension
 * pattern finds one in its name, else (a trunk) the caller id.
 */
function callerParty(row: Row, ctx: RowContext): Party {
  const callerId = parseCallerId(row.clid ?? '');
  const shown = row.src || callerId.number;
  const local = localChannel(row.channel);
  let number = shown;
  if (local) {
    if (local.half === 1) number = dialledNumber(local.exten, ctx.pool);
  } else if (row.channel) number = extensionOf(row.channel, ctx) ?? shown;
  const party: Party = {};
  if (number) party.number = number;
  // A name belongs to the caller id's number: a transferred party's Local half may show someone else's.
  if (callerId.name && callerId.name !== number && (number === shown || !shown)) party.name = callerId.name;
  if (row.channel) party.channel = row.channel;
  if (shown && number !== shown) party.callerNumber = shown;
  return party;
}

/** The party on `dstchannel`'s side: the Local channel's extension, a phone's, or the number dialled through a trunk. */
function calleeParty(row: Row, ctx: RowContext): Party {
  const local = localChannel(row.dstchannel);
  let number = row.dst;
  if (local) number = dialledNumber(local.exten, ctx.pool);
  else if (row.dstchannel) number = extensionOf(row.dstchannel, ctx) ?? row.dst;
  const party: Party = {};
  if (number) party.number = number;
  if (row.dstchannel) party.channel = row.dstchannel;
  return party;
}

// FreePBX's follow-me dials `Local/FMGL-2001#@from-internal`; the number is what is left of it.
const FOLLOW_ME = /^FM(?:PR|GL)-(.+?)#?$/;

function dialledNumber(exten: string, pool: ValuePool): string {
  const followMe = FOLLOW_ME.exec(exten);
  return pool.share(followMe ? (followMe[1] as string) : exten);
}

function extensionOf(device: string, ctx: RowContext): string | undefined {
  const found = ctx.extension?.exec(device)?.[1] || undefined;
  return found && ctx.pool.share(found);
}

/** What rang the callee, for messages: a queue by name, a ring group (a Dial of several targets at once). */
function viaOf(row: Row): string | undefined {
  const app = row.lastapp?.toLowerCase();
  if (app !== 'queue' && app !== 'dial') return undefined;
  const first = (row.lastdata ?? '').split(',', 1)[0]?.trim() ?? '';
  if (app === 'queue') return first ? `queue ${first}` : 'queue';
  return first.includes('&') ? 'ring group' : undefined;
}

type RenderTemplate = ReturnType<typeof compileTemplate>;

// What MixMonitor and Monitor write (WAV49 is GSM in a .WAV or .wav49 file); a query string may follow in a URL.
const AUDIO_FILE = /\.(?:wav|wav49|gsm|mp3|ogg|oga|opus|flac|m4a|sln)(?:\?.*)?\s*$/i;

function recordingOf(row: Row, start: string, ctx: RowContext): Recording | undefined {
  const { options } = ctx;
  const useUserfield = row.userfield && (options.userfieldIsRecording === true || (options.userfieldIsRecording === 'auto' && AUDIO_FILE.test(row.userfield)));
  const found = (useUserfield && recordingFromValue(row.userfield as string, options.recordingDir)) || fromTemplate(row, start, ctx.template);
  if (found?.path) found.path = mapPath(found.path, options.recordingPathMap);
  return found;
}

function fromTemplate(row: Row, start: string, template: RenderTemplate | undefined): Recording | undefined {
  if (!template) return undefined;
  templateRow = row;
  templateStart = start;
  templateDate = undefined;
  try {
    return template(templateValue);
  } finally {
    templateRow = undefined;
  }
}

// The row a template is being filled from: one look-up function for every row, not a closure per row.
let templateRow: Row | undefined;
let templateStart = '';
let templateDate: string | undefined;

function templateValue(name: string): string | undefined {
  const row = templateRow as Row;
  if (name === 'linkedid') return row.linkedid || row.uniqueid;
  // Date placeholders and column names do not overlap: which one a name is decides the look-up.
  const at = DATE_PART_AT.get(name);
  if (at === undefined) return name in row ? row[name as AsteriskColumn] : undefined;
  templateDate ??= datePartsText(templateStart);
  return templateDate.slice(at, at + (name === 'yyyy' ? 4 : 2));
}

/** Where each date placeholder is in the text `datePartsText` gives (the layout dateParts reads). */
const DATE_PART_AT: ReadonlyMap<string, number> = new Map([
  ['yyyy', 0],
  ['mm', 5],
  ['dd', 8],
  ['hh', 11],
  ['mi', 14],
  ['ss', 17],
]);

/**
 * One string per distinct value of the columns that repeat row after row (context, application, disposition,
 * seconds...). A leg waits in the grouping window for thousands of rows; every string it holds is copied by
 * each young-generation GC it lives through, so sharing the repeated ones makes the window lighter.
 */
export class ValuePool {
  private readonly values = new Map<string, string>();

  share(value: string): string {
    const known = this.values.get(value);
    if (known !== undefined) return known;
    if (this.values.size >= VALUE_POOL_LIMIT) this.values.clear();
    this.values.set(value, value);
    return value;
  }
}

const VALUE_POOL_LIMIT = 10_000;

export function shareRepeatedValues(row: Row, pool: ValuePool): void {
  if (row.accountcode) row.accountcode = pool.share(row.accountcode);
  if (row.dcontext) row.dcontext = pool.share(row.dcontext);
  if (row.lastapp) row.lastapp = pool.share(row.lastapp);
  if (row.lastdata) row.lastdata = pool.share(row.lastdata);
  if (row.duration) row.duration = pool.share(row.duration);
  if (row.billsec) row.billsec = pool.share(row.billsec);
  if (row.disposition) row.disposition = pool.share(row.disposition);
  if (row.amaflags) row.amaflags = pool.share(row.amaflags);
  if (row.peeraccount) row.peeraccount = pool.share(row.peeraccount);
  // linkedid is the uniqueid of the call's first channel: often the same text.
  if (row.linkedid && row.linkedid === row.uniqueid) row.linkedid = row.uniqueid;
}
