import path from 'node:path';
import { autoLayout } from '../../../adapters/asterisk-csv/columns.js';
import type { CsvShape } from './csv-shape.js';
import type { Recognition } from './types.js';
import { ASTERISK_UNIQUEID, isAudioFile, isRecording, isUrl, share } from './values.js';
import { offsetsOf } from './zone.js';

const DISPOSITIONS = new Set(['ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'CONGESTION']);
const WALL_CLOCK = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/**
 * Asterisk cdr_csv (Master.csv): no header, 16 to 21 columns in cdr_csv's fixed order (columns.ts), the start
 * column a wall-clock time, the disposition column ANSWERED / NO ANSWER / BUSY / FAILED / CONGESTION.
 */
export function recogniseAsteriskCsv(shape: CsvShape): Recognition | undefined {
  if (shape.delimiter !== ',') return undefined;
  const rows = shape.rows.filter((r) => r.length >= 16 && r.length <= 21);
  if (rows.length < shape.rows.length / 2) return undefined;
  const layoutRow = rows.find((r) => r.length === shape.width) ?? rows[0];
  const layout = layoutRow && autoLayout(layoutRow);
  if (!layout) return undefined;
  const column = (name: string) => layout.indexOf(name as (typeof layout)[number]);
  const values = (name: string) => valuesOf(rows.filter((r) => r.length === layout.length), column(name));
  const dispositions = values('disposition');
  const starts = values('start');
  const dispositionShare = share(dispositions, (v) => DISPOSITIONS.has(v));
  const startShare = share(starts, (v) => WALL_CLOCK.test(v));
  if (dispositionShare < 0.8 && startShare < 0.8) return undefined;

  const extra = layout.slice(16);
  const evidence = [
    `${layout.length} columns and no header line: cdr_csv's 16${extra.length ? ` + ${extra.join(', ')}` : ''}${widthsNote(shape)}`,
    `column ${column('start') + 1} (start) like ${starts[0] ?? '(empty)'}`,
    `column ${column('disposition') + 1} (disposition) is ${[...new Set(dispositions)].slice(0, 5).join('/')}`,
  ];
  const recognition: Recognition = {
    adapter: 'asterisk-csv',
    strong: dispositionShare >= 0.8 && startShare >= 0.8,
    evidence,
    options: { columns: 'auto' },
    optionNotes: { columns: 'cdr_csv order; 16 to 21 columns told apart line by line' },
    times: { kind: 'local', how: 'cdr_csv writes the PBX wall clock', pairs: [] },
    todo: ['Asterisk appends to Master.csv as calls end: a source of type tail (path /var/log/asterisk/cdr-csv/Master.csv) follows it, where a drop folder takes copies'],
  };

  const uniqueIds = column('uniqueid') >= 0 ? values('uniqueid') : [];
  if (uniqueIds.length) {
    evidence.push(`column ${column('uniqueid') + 1} (uniqueid) like ${uniqueIds[0]}`);
    const pairs = rows
      .filter((r) => r.length === layout.length)
      .map((r) => ({ wall: r[column('start')] ?? '', id: ASTERISK_UNIQUEID.exec(r[column('uniqueid')] ?? '') }))
      .filter((p) => WALL_CLOCK.test(p.wall) && p.id)
      .slice(0, 500)
      .map((p) => ({ wall: p.wall, epochSec: Number(p.id?.[1]) }));
    const offsets = offsetsOf(pairs);
    if (offsets.length && offsets.every((o) => o.minutes === 0)) {
      // Either cdr.conf usegmtime=yes or a PBX on UTC: in both the times are UTC, and saying so makes them absolute.
      recognition.options.usegmtime = true;
      recognition.optionNotes.usegmtime = 'the start times equal their uniqueid epochs in UTC: usegmtime=yes, or a PBX clock on UTC';
      recognition.times = { kind: 'absolute', how: 'UTC times (usegmtime)' };
    } else {
      recognition.times = { kind: 'local', how: 'cdr_csv writes the PBX wall clock', pairs };
    }
  }
  if (column('userfield') >= 0) describeUserfield(values('userfield'), column('userfield'), recognition);
  return recognition;
}

function describeUserfield(userfields: string[], index: number, r: Recognition): void {
  if (!userfields.length) return;
  const recordings = userfields.filter(isRecording);
  if (recordings.length === 0) {
    r.evidence.push(`column ${index + 1} (userfield) holds ${JSON.stringify(userfields[0])}: not a recording`);
    return;
  }
  r.evidence.push(`column ${index + 1} (userfield) holds recordings like ${recordings[0]}`);
  if (recordings.length === userfields.length && !recordings.every(isAudioFile)) {
    // "auto" takes audio file names only: URLs without one (a recording server's API) need true.
    r.options.userfieldIsRecording = true;
    r.optionNotes.userfieldIsRecording = 'every non-empty userfield is a recording';
  }
  const local = recordings.filter((v) => !isUrl(v));
  const relative = local.filter((v) => !path.isAbsolute(v));
  if (relative.length) {
    r.options.recordingDir = '/var/spool/asterisk/monitor';
    r.optionNotes.recordingDir = `TODO: the folder the relative recording names (like ${relative[0]}) are in; this is Asterisk's default`;
  }
  const folders = [...new Set(local.filter((v) => path.isAbsolute(v)).map((v) => commonFolder(v)))];
  if (folders.length) r.recordingFolders = folders.slice(0, 3);
}

/** The folder above the date folders a recorder makes (`/rec/2024/05/02/x.wav` → `/rec`). */
function commonFolder(file: string): string {
  let dir = path.dirname(file);
  while (/^\d{1,4}$/.test(path.basename(dir)) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

function valuesOf(rows: string[][], index: number): string[] {
  if (index < 0) return [];
  return rows.map((r) => (r[index] ?? '').trim()).filter((v) => v !== '');
}

function widthsNote(shape: CsvShape): string {
  const widths = [...new Set(shape.rows.map((r) => r.length))].filter((w) => w >= 16 && w <= 21).sort((a, b) => a - b);
  return widths.length > 1 ? ` (lines of ${widths.join(', ')} columns: columns auto reads each)` : '';
}
