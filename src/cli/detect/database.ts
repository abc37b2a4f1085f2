import { asteriskRowOf } from '../../../adapters/asterisk-csv/table-row.js';
import { toJsonCdr } from '../../../adapters/freeswitch-json/document.js';
import { documentOfRow } from '../../../adapters/freeswitch-json/table-row.js';
import { SQL_PROFILES, type SqlProfileId } from '../../sources/sql/profiles.js';
import { cdrTableOf, describeTableError, fitOf, type TableFit, withDocuments } from '../../sources/sql/tables.js';
import type { TableValues } from '../../sources/sql/table.js';
import { detectSample } from './detect-file.js';
import { decodeSample } from './sample.js';
import type { Verdict } from './types.js';

/** A CDR database named on the command line instead of a file: `mysql://…`, `postgres://…`, `sqlite:/…/master.db`. */
export const DATABASE_URL = /^(?:mysql|mariadb|postgres|postgresql|sqlite):/;

/** Which profiles a url's driver can hold, in the order they are tried. */
function candidates(url: string): SqlProfileId[] {
  if (/^(?:postgres|postgresql):/.test(url)) return ['fusionpbx', 'asterisk-pgsql'];
  if (url.startsWith('sqlite:')) return ['asterisk-sqlite'];
  return ['freepbx'];
}

/** Rows detection reads: enough for the numbers, zones and channels a sample of a file shows. */
const SAMPLE_ROWS = 2_000;

/** The url as a config keeps it: the password read from the environment, never written down. */
export function urlForConfig(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  const parsed = new URL(url);
  if (!parsed.password) return url;
  return url.replace(`:${parsed.password}@`, ':${CDR_DB_PASSWORD}@');
}

/**
 * Which known CDR table a database holds (the profile whose columns it has), read as its source would read it: a
 * sample of its rows goes through the same detection as a file (the numbers, zone and trunks it shows), and the
 * verdict carries the database, so the starter config reads the table itself. A database it cannot reach or a
 * table of no known profile is `unknown`, saying why (never the password).
 */
export async function detectDatabase(url: string): Promise<Verdict> {
  let nearest: { where: string; profile: SqlProfileId; fit: TableFit } | undefined;
  const problems: string[] = [];
  for (const profileId of candidates(url)) {
    const { table, profile } = cdrTableOf({ url, profile: profileId, statementTimeoutSec: 30 }, 10_000);
    try {
      const fit = await fitOf(table, profile);
      if (fit.missing.length) {
        if (!nearest || fit.missing.length < nearest.fit.missing.length) nearest = { where: table.where, profile: profileId, fit };
        continue;
      }
      const page = await table.page(null, { from: null, endedFrom: null }, SAMPLE_ROWS);
      const rows = profile.documents && fit.documents ? await withDocuments(table, profile.documents, page) : page;
      const text = sampleText(profileId, rows);
      const decoded = decodeSample(table.where, Buffer.from(text), Buffer.byteLength(text));
      const verdict = decoded.ok ? await detectSample(decoded.sample, decoded.notes) : undefined;
      if (verdict?.kind !== 'detected' || verdict.adapter !== profile.adapter) {
        return { kind: 'unknown', file: table.where, seen: `a ${profileId} table with ${rows.length} row(s) read`, why: verdict?.kind === 'unknown' ? verdict.why : `its rows do not read as ${profile.adapter}` };
      }
      const evidence = [`${table.where} has the columns of the ${profileId} profile`, fit.indexed ? `its polls read the index on ${profile.cursor}` : `no index on ${profile.cursor}: every poll would read the whole table (add one)`];
      // What only a file has no place here: its column layout, its name, how to follow it.
      const detected: Verdict = { ...verdict, file: table.where, evidence: [...evidence, ...verdict.evidence], options: { ...verdict.options }, optionNotes: { ...verdict.optionNotes }, todo: [], database: { url: urlForConfig(url), profile: profileId } };
      delete detected.options.columns;
      delete detected.optionNotes.columns;
      delete detected.nameNote;
      return detected;
    } catch (error) {
      problems.push(describeTableError(table, error));
    } finally {
      await table.close();
    }
  }
  if (nearest) {
    return { kind: 'unknown', file: nearest.where, seen: 'a table of CDRs, but not one callbridge knows', why: `it lacks ${nearest.fit.missing.join(', ')} of the ${nearest.profile} profile` };
  }
  return { kind: 'unknown', file: url.startsWith('sqlite:') ? url : new URL(url).host, seen: 'no table could be read', why: [...new Set(problems)].join('; ') };
}

/** The rows as the file their PBX would also write: Master.csv lines (cdr_csv's 21 columns), or one JSON CDR per line. */
function sampleText(profile: SqlProfileId, rows: TableValues[]): string {
  // Each leg's CDR from wherever FusionPBX keeps it (json, xml, v_xml_cdr_json, else its columns), as mod_json_cdr
  // NDJSON, which is what detection reads.
  if (SQL_PROFILES[profile].adapter === 'freeswitch-json') {
    const documents = rows.map((r) => documentOfRow(r, true)).flatMap((d) => (d.ok ? [JSON.stringify(toJsonCdr(d.doc))] : []));
    return documents.join('\n') + '\n';
  }
  return rows.map((values) => csvLine(asteriskRowOf(values).row)).join('\n') + '\n';
}

const CDR_CSV = ['accountcode', 'src', 'dst', 'dcontext', 'clid', 'channel', 'dstchannel', 'lastapp', 'lastdata', 'start', 'answer', 'end', 'duration', 'billsec', 'disposition', 'amaflags', 'uniqueid', 'userfield', 'peeraccount', 'linkedid', 'sequence'] as const;

function csvLine(row: Partial<Record<string, string>>): string {
  return CDR_CSV.map((c) => (c === 'duration' || c === 'billsec' || c === 'sequence' ? (row[c] ?? '0') : `"${(row[c] ?? '').replace(/"/g, '""')}"`)).join(',');
}
