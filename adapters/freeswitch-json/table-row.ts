import { fromSimpleXmlJson, parseXmlCdr } from './xml-document.js';
import { isPlainObject, parseJsonLocated } from '../shared/input.js';
import type { ParseItem, TableInput } from '../types.js';
import { type FsDocument, fromJsonCdr } from './document.js';
import { extractLeg } from './extract-leg.js';
import type { FreeswitchOptions } from './options.js';
import { fromFusionColumns } from './row-columns.js';

/**
 * Where a current FusionPBX keeps each leg's CDR (cdr.format json, cdr.storage db: its defaults): a row of its own,
 * written with the v_xml_cdr row in one transaction. The sql source hands it over as `v_xml_cdr_json.json`.
 */
export const FUSIONPBX_DOCUMENTS = { table: 'v_xml_cdr_json', key: 'xml_cdr_uuid', column: 'json' } as const;
const DOCUMENT_COLUMN = `${FUSIONPBX_DOCUMENTS.table}.${FUSIONPBX_DOCUMENTS.column}`;

type Values = Readonly<Record<string, string | null>>;
type RowDocument = { ok: true; doc: FsDocument; original: unknown } | { ok: false; message: string };

/**
 * Rows of FusionPBX's v_xml_cdr: one leg each, read from the leg's whole CDR wherever FusionPBX kept it, else from
 * the row's columns (row-columns.ts). The `leg` column tells an A leg, as the `a_` of its file name does.
 */
export async function* parseFreeswitchRows(input: TableInput, options: FreeswitchOptions): AsyncGenerator<ParseItem> {
  for (const { location, values } of input.rows) {
    const read = documentOfRow(values, options.decodeValues);
    if (!read.ok) {
      yield { kind: 'error', location, message: read.message };
      continue;
    }
    const uuid = values.xml_cdr_uuid ?? undefined;
    const result = extractLeg(read.doc, options, { location, queryUuid: uuid && values.leg === 'a' ? `a_${uuid}` : uuid, original: read.original });
    yield result.ok ? { kind: 'leg', groupKey: result.groupKey, leg: result.leg } : { kind: 'error', location, message: result.message };
  }
}

/**
 * The leg's CDR, from the first place that has it:
 * - `json`: the document itself (a mod_json_cdr document), or FusionPBX's `json_encode()` of the mod_xml_cdr document
 *   (what FusionPBX wrote there until 2024);
 * - `xml`: the mod_xml_cdr document (cdr.format xml);
 * - `v_xml_cdr_json.json`: FusionPBX's `json_encode()` of the mod_xml_cdr document, in its own table (since 2024);
 * - else the row's columns.
 */
export function documentOfRow(values: Values, decodeValues: boolean): RowDocument {
  const json = values.json?.trim();
  if (json) return jsonDocument('json', json, decodeValues);
  const xml = values.xml?.trim();
  if (xml) {
    const parsed = parseXmlCdr(xml);
    return parsed.ok ? { ok: true, doc: parsed.doc, original: parsed.original } : { ok: false, message: `xml: line ${parsed.line}: ${parsed.message}` };
  }
  const kept = values[DOCUMENT_COLUMN]?.trim();
  if (kept) return jsonDocument(DOCUMENT_COLUMN, kept, decodeValues);
  const doc = fromFusionColumns(values);
  return typeof doc === 'string' ? { ok: false, message: doc } : { ok: true, doc, original: columnsOf(values) };
}

function jsonDocument(column: string, text: string, decodeValues: boolean): RowDocument {
  const parsed = parseJsonLocated(text);
  if (!parsed.ok) return { ok: false, message: `${column}: ${parsed.message}` };
  const value = parsed.value;
  if (isPlainObject(value) && '@attributes' in value) {
    const read = fromSimpleXmlJson(value);
    return typeof read === 'string' ? { ok: false, message: `${column}: ${read}` } : { ok: true, ...read };
  }
  const doc = fromJsonCdr(value, decodeValues);
  return typeof doc === 'string' ? { ok: false, message: `${column}: ${doc}` } : { ok: true, doc, original: value };
}

/** The row as kept in the call's record: its columns that hold a value. */
function columnsOf(values: Values): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== null && e[1] !== ''));
}
