import { XML_CONTENT_TYPES, unwrapCdrBody } from '../freeswitch-json/body.js';
import { completeFreeswitchCall } from '../freeswitch-json/complete.js';
import { extractLeg } from '../freeswitch-json/extract-leg.js';
import { mergeFreeswitchLegs } from '../freeswitch-json/merge.js';
import { freeswitchOptionsSchema } from '../freeswitch-json/options.js';
import { formatBytes, locate, readAllBounded } from '../shared/input.js';
import { defineAdapter } from '../types.js';
import { parseXmlCdr } from '../freeswitch-json/xml-document.js';

/** XML variable values are always URL-encoded by FreeSWITCH, so there is nothing to choose. */
const xmlOptionsSchema = freeswitchOptionsSchema.omit({ decodeValues: true });

/**
 * FreeSWITCH mod_xml_cdr: one XML document per channel (leg), posted to a hook or written as
 * `<uuid>.cdr.xml` files. The field extraction is the JSON adapter's (one tree, two encodings).
 */
export default defineAdapter({
  id: 'freeswitch-xml',
  summary: 'FreeSWITCH mod_xml_cdr documents (hook posts or files), no DTD/entities ever; A and B legs become one call',
  configSchema: xmlOptionsSchema,
  example: {
    directionVariable: 'call_direction',
    recording: { variables: ['${record_path}/${record_name}'], fromApplications: true },
  },
  inputs: {
    filePatterns: ['*.cdr.xml', '*.xml', '*.form'],
    contentTypes: XML_CONTENT_TYPES,
    tail: false,
    legsAcrossFiles: true,
  },
  async *parse(input, options) {
    const firstLine = input.firstLine ?? 1;
    const body = await readAllBounded(input.stream, options.maxDocumentBytes);
    if (!body.ok) {
      yield { kind: 'error', location: locate(input), message: `document larger than ${formatBytes(options.maxDocumentBytes)} (maxDocumentBytes): refused` };
      return;
    }
    const unwrapped = unwrapCdrBody(body.text, input.contentType, XML_CONTENT_TYPES);
    if (!unwrapped.ok) {
      yield { kind: 'error', location: locate(input), message: unwrapped.message };
      return;
    }
    if (unwrapped.text.trim() === '') {
      yield { kind: 'error', location: locate(input), message: 'empty body: no CDR' };
      return;
    }
    const parsed = parseXmlCdr(unwrapped.text);
    if (!parsed.ok) {
      yield { kind: 'error', location: locate(input, firstLine + parsed.line - 1), message: parsed.message };
      return;
    }
    const location = locate(input);
    const result = extractLeg(parsed.doc, options, { location, queryUuid: input.query?.uuid, original: parsed.original });
    yield result.ok ? { kind: 'leg', groupKey: result.groupKey, leg: result.leg } : { kind: 'error', location, message: result.message };
  },
  merge: mergeFreeswitchLegs,
  complete: completeFreeswitchCall,
});
