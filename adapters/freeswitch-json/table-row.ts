import { parseJsonLocated } from '../shared/input.js';
import type { ParseItem, TableInput } from '../types.js';
import { fromJsonCdr } from './document.js';
import { extractLeg } from './extract-leg.js';
import type { FreeswitchOptions } from './options.js';

/**
 * Rows of FusionPBX's v_xml_cdr: one leg each. Where the `json` column holds the leg's mod_json_cdr document it is
 * read exactly as that document's file would be (the `leg` column tells an A leg, as the `a_` of its file name
 * does); a row without one is refused by name, since its columns alone cannot place the leg in its call.
 */
export async function* parseFreeswitchRows(input: TableInput, options: FreeswitchOptions): AsyncGenerator<ParseItem> {
  for (const { location, values } of input.rows) {
    const text = values.json;
    if (!text) {
      yield { kind: 'error', location, message: 'json: empty; only rows with the mod_json_cdr document in their json column can be read' };
      continue;
    }
    const parsed = parseJsonLocated(text);
    if (!parsed.ok) {
      yield { kind: 'error', location, message: `json: ${parsed.message}` };
      continue;
    }
    const doc = fromJsonCdr(parsed.value, options.decodeValues);
    if (typeof doc === 'string') {
      yield { kind: 'error', location, message: `json: ${doc}` };
      continue;
    }
    const uuid = values.xml_cdr_uuid ?? undefined;
    const result = extractLeg(doc, options, { location, queryUuid: uuid && values.leg === 'a' ? `a_${uuid}` : uuid, original: parsed.value });
    yield result.ok ? { kind: 'leg', groupKey: result.groupKey, leg: result.leg } : { kind: 'error', location, message: result.message };
  }
}
