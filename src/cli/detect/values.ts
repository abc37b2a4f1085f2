import { compileTimeParser, parseDuration } from '../../../adapters/generic/times.js';

/**
 * What a column's values look like, each judged the way the adapter that will read them judges it (the generic
 * adapter's own time and duration parsers), so that a guess detection makes is one the adapter accepts.
 */

/** Epoch seconds from 1998 to about 2100: what CUCM, FreeSWITCH and many exports write. */
export const EPOCH_SECONDS = /^(?:9\d{8}|[1-3]\d{9}|4[01]\d{8})(?:\.\d+)?$/;
export const EPOCH_MILLIS = /^(?:9\d{11}|[1-3]\d{12}|4[01]\d{11})$/;
/** `1714634043.1187`, `pbx1-1714634043.42`: Asterisk's uniqueid and linkedid. */
export const ASTERISK_UNIQUEID = /^(?:[\w.-]+-)?(\d{9,})\.\d+$/;
const AUDIO = /\.(?:wav|wave|mp3|gsm|ogg|oga|opus|flac|m4a|wav49)$/i;

export const isUrl = (v: string) => /^https?:\/\/\S+$/i.test(v);
export const isAudioFile = (v: string) => AUDIO.test(v.split('?')[0] ?? v);
/** A recording location: a URL, or a file name or path of an audio file. */
export const isRecording = (v: string) => isUrl(v) || isAudioFile(v);
/** A phone number or extension as PBXs write them: `201`, `+46 8 123 456 00`, `070-123 45 67`, `client:anna`, `Ext.101`. */
export const isPhoneLike = (v: string) =>
  (/^\+?\(?\d[\d\s().-]{0,24}$/.test(v) && (v.match(/\d/g) ?? []).length >= 2) || /^(?:client|sip|tel):\S+$/i.test(v) || /^Ext\.\d+$/i.test(v);
/** Seconds or a clock duration the generic adapter reads (`83`, `83.4`, `1:23`, `0:01:23`). */
export const isDuration = (v: string) => parseDuration(v, 'seconds').ok;

/** Share of `values` for which `test` holds (0 for no values). */
export function share(values: readonly string[], test: (v: string) => boolean): number {
  if (!values.length) return 0;
  let n = 0;
  for (const v of values) if (test(v)) n += 1;
  return n / values.length;
}

export const all = (values: readonly string[], test: (v: string) => boolean) => values.length > 0 && share(values, test) === 1;

// Luxon formats, most specific first; `iso` also reads "2024-03-05 10:14:03". Day-first before month-first: a
// date both read (03/05/2024) is European, as the bridge's users mostly are; the guess then says so.
const DATE_TIMES = [
  'yyyy/MM/dd HH:mm:ss',
  'yyyy/MM/dd HH:mm',
  'dd.MM.yyyy HH:mm:ss',
  'dd.MM.yyyy HH:mm',
  'd.M.yyyy H:mm:ss',
  'd.M.yyyy H:mm',
  'dd/MM/yyyy HH:mm:ss',
  'dd/MM/yyyy HH:mm',
  'MM/dd/yyyy HH:mm:ss',
  'MM/dd/yyyy HH:mm',
  'M/d/yyyy h:mm:ss a',
  'M/d/yyyy h:mm a',
  'd/M/yyyy H:mm:ss',
  'M/d/yyyy H:mm:ss',
  'dd-MM-yyyy HH:mm:ss',
  'dd-MM-yyyy HH:mm',
  'yyyyMMddHHmmss',
];
const DATES = ['yyyy-MM-dd', 'yyyy/MM/dd', 'dd.MM.yyyy', 'd.M.yyyy', 'dd/MM/yyyy', 'MM/dd/yyyy', 'd/M/yyyy', 'M/d/yyyy', 'dd-MM-yyyy', 'yyyyMMdd'];
const TIMES = ['HH:mm:ss', 'H:mm:ss', 'HH:mm', 'H:mm', 'hh:mm:ss a', 'h:mm:ss a', 'h:mm a'];

export interface TimeFormat {
  /** The generic adapter's `time.format`. */
  format: string;
  /** Every value carries its offset, or is epoch: the instants are known without a zone. */
  absolute: boolean;
  /** Another format reads these values too, differently (day and month swapped): the choice needs checking. */
  ambiguousWith?: string;
}

/** A column is a time column when one format reads this share of its values (a few broken rows do not hide it). */
const MOST = 0.8;

/** The time format that reads (most of) the values, as the generic adapter reads them; undefined when none does. */
export function guessDateTimeFormat(values: readonly string[]): TimeFormat | undefined {
  if (!values.length) return undefined;
  if (share(values, (v) => EPOCH_SECONDS.test(v)) >= MOST) return { format: 'epoch', absolute: true };
  if (share(values, (v) => EPOCH_MILLIS.test(v)) >= MOST) return { format: 'epoch-ms', absolute: true };
  // A date alone (ISO reads "2024-03-05" as midnight) or a time of day alone is not a start time: the rest is in another column.
  if (share(values, (v) => /^\d{14}$/.test(v) || (/\d:\d\d/.test(v) && /\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{2}/.test(v))) < MOST) return undefined;
  const iso = readShare('iso', values);
  if (iso >= MOST && iso >= readShare(DATE_TIMES[0] ?? '', values)) {
    return { format: 'iso', absolute: all(values, (v) => /(?:Z|[+-]\d{2}:?\d{2})$/i.test(v.trim())) };
  }
  return bestReading(DATE_TIMES, values);
}

/** A date-only column (a separate time column holds the rest). */
export function guessDateFormat(values: readonly string[]): TimeFormat | undefined {
  if (share(values, (v) => /\d:\d/.test(v)) > 0) return undefined;
  return bestReading(DATES, values);
}

/** A time-of-day column (beside a date column). */
export function guessTimeOfDayFormat(values: readonly string[]): TimeFormat | undefined {
  if (!values.length || share(values, (v) => /^\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AP]M)?$/i.test(v.trim())) < MOST) return undefined;
  return bestReading(TIMES, values);
}

/** The format reading the most values (at least MOST of them); the first listed wins a tie. */
function bestReading(formats: readonly string[], values: readonly string[]): TimeFormat | undefined {
  const scored = formats.map((format) => ({ format, share: readShare(format, values) })).filter((f) => f.share >= MOST);
  const best = scored.reduce<(typeof scored)[number] | undefined>((a, b) => (!a || b.share > a.share ? b : a), undefined);
  if (!best) return undefined;
  const swapped = scored.find((f) => f.share === best.share && swapsDayAndMonth(best.format, f.format));
  return swapped ? { format: best.format, absolute: false, ambiguousWith: swapped.format } : { format: best.format, absolute: false };
}

function swapsDayAndMonth(a: string, b: string): boolean {
  const order = (f: string) => f.replace(/[^dM]/g, '').replace(/(.)\1+/g, '$1');
  return order(a) !== order(b) && order(a).length === 2 && order(b).length === 2;
}

function readShare(format: string, values: readonly string[]): number {
  const parse = compileTimeParser({ format, zone: 'source' });
  return share(values, (v) => parse(v).ok);
}
