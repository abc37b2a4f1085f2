import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { type CdrTreeNames, type FsDocument, fsDocumentOf } from './document.js';
import { isPlainObject, lineAt, shorten } from '../shared/input.js';

export type XmlResult = { ok: true; doc: FsDocument; original: unknown } | { ok: false; line: number; message: string };

const ATTR = '@_';

/**
 * Entities are never expanded, whatever the document says: `processEntities: false` keeps the parser from
 * reading a DTD at all, and a document that declares one is refused before parsing (billion laughs,
 * external entities). The five predefined entities and character references, which cannot expand or
 * reach outside, are decoded by `unescapeXml` below.
 */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: (name) => ['callflow', 'application', 'originator_caller_profile', 'originatee_caller_profile'].includes(name),
});

const FORBIDDEN = /<!(DOCTYPE|ENTITY)/i;

export function parseXmlCdr(text: string): XmlResult {
  const forbidden = FORBIDDEN.exec(text);
  if (forbidden) {
    return {
      ok: false,
      line: lineAt(text, forbidden.index),
      message: `XML with a <!${forbidden[1]?.toUpperCase()}> declaration is refused: DTDs and entities are never processed`,
    };
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    // The validator reports elements left open at the end (a truncated file) at line 1; say it plainly, at the end.
    const open = /^Invalid '\[(.*)\]' found\.$/s.exec(valid.err.msg)?.[1] ?? /^Unclosed tag '([^']*)'/.exec(valid.err.msg)?.[1];
    if (open !== undefined) {
      const names = [...open.matchAll(/"([^"]+)"|^([^"\s,]+)$/g)].map((m) => m[1] ?? m[2]);
      return {
        ok: false,
        line: lineAt(text, text.trimEnd().length),
        message: `invalid XML: the document ends inside <${names[names.length - 1] ?? '?'}> (unclosed: ${names.join(', ')}); truncated?`,
      };
    }
    return { ok: false, line: valid.err.line, message: `invalid XML: ${shorten(valid.err.msg)}` };
  }

  let tree: unknown;
  try {
    tree = parser.parse(text);
  } catch (error) {
    return { ok: false, line: 1, message: `invalid XML: ${shorten((error as Error).message)}` };
  }
  const root = isPlainObject(tree) ? tree : {};
  const cdr = root.cdr;
  if (!isPlainObject(cdr)) {
    const name = Object.keys(root)[0];
    return { ok: false, line: 1, message: `not a mod_xml_cdr document: the root element is ${name ? `<${name}>` : 'missing'}, not <cdr>` };
  }
  const doc = fromXmlCdr(unescapeTree(cdr) as Record<string, unknown>);
  return typeof doc === 'string' ? { ok: false, line: 1, message: doc } : { ok: true, doc, original: cdr };
}

/**
 * A mod_xml_cdr document as PHP's `json_encode(simplexml_load_string($xml))` writes it (FusionPBX keeps each leg's CDR
 * so, in v_xml_cdr_json or, before 2024, in v_xml_cdr.json) → FsDocument. SimpleXML's JSON is the XML tree with each
 * element's attributes under `@attributes`, an empty element as `{}`, repeated elements as an array and entities
 * already decoded: it is put into the tree fast-xml-parser gives and read by the same code as the file.
 */
export function fromSimpleXmlJson(value: unknown): { doc: FsDocument; original: unknown } | string {
  if (!isPlainObject(value) || !isPlainObject(value['@attributes'])) return 'not a FusionPBX CDR document: no "@attributes" at its root';
  const doc = fromXmlCdr(asParsedXml(value) as Record<string, unknown>);
  return typeof doc === 'string' ? doc : { doc, original: value };
}

function asParsedXml(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asParsedXml);
  if (!isPlainObject(value)) return value;
  const entries = Object.entries(value);
  if (!entries.length) return '';
  const out: Record<string, unknown> = {};
  for (const [key, child] of entries) {
    if (key === '@attributes' && isPlainObject(child)) for (const [name, text] of Object.entries(child)) out[`${ATTR}${name}`] = text;
    else out[key] = asParsedXml(child);
  }
  return out;
}

/**
 * mod_xml_cdr's tree → FsDocument. Unlike JSON, XML variable values are ALWAYS URL-encoded
 * (switch_ivr_set_xml_chan_var encodes every value), so they are always decoded; caller profiles are not.
 */
function fromXmlCdr(cdr: Record<string, unknown>): FsDocument | string {
  if (!isPlainObject(cdr.variables)) return 'not a mod_xml_cdr document: no <variables> element';
  return fsDocumentOf(cdr, cdr.variables, XML_CDR_NAMES, true);
}

const XML_CDR_NAMES: CdrTreeNames = {
  profileIndex: `${ATTR}profile_index`,
  originators: 'originator_caller_profile',
  originatees: 'originatee_caller_profile',
  applications: 'application',
  appName: `${ATTR}app_name`,
  appData: `${ATTR}app_data`,
};

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The five predefined entities and character references; anything else is left as written. */
export function unescapeXml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return PREDEFINED[ref] ?? whole;
  });
}

function unescapeTree(value: unknown): unknown {
  if (typeof value === 'string') return unescapeXml(value);
  if (Array.isArray(value)) return value.map(unescapeTree);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unescapeTree(v)]));
  return value;
}
