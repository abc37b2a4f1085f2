import { mediaType } from '../shared/input.js';

export type CdrBody = { ok: true; text: string } | { ok: false; message: string };

const FORM_URLENCODED = 'application/x-www-form-urlencoded';
const FORM_BASE64 = 'application/x-www-form-base64-encoded';
const FORM_PLAINTEXT = 'application/x-www-form-plaintext';

export const JSON_CONTENT_TYPES = ['application/json', FORM_URLENCODED, FORM_BASE64, FORM_PLAINTEXT];
export const XML_CONTENT_TYPES = ['text/xml', 'application/xml', FORM_URLENCODED, FORM_BASE64, FORM_PLAINTEXT];

/**
 * The CDR document inside a hook body or a file, whatever `encode` said in json_cdr.conf / xml_cdr.conf:
 *
 * | encode             | Content-Type                          | body                        |
 * | ------------------ | ------------------------------------- | --------------------------- |
 * | false (json)       | application/json                      | the document                |
 * | textxml (xml)      | text/xml                              | the document                |
 * | true               | application/x-www-form-urlencoded     | `cdr=` + URL-encoded doc    |
 * | base64             | application/x-www-form-base64-encoded | `cdr=` + base64 (NOT URL-encoded) |
 * | false (xml)        | application/x-www-form-plaintext      | `cdr=` + the raw document   |
 *
 * A file has no content type: one that starts with `cdr=` is sniffed as one of the three forms.
 */
export function unwrapCdrBody(body: string, contentType: string | undefined, accepted: string[]): CdrBody {
  const type = mediaType(contentType);
  if (type !== undefined && !accepted.includes(type)) {
    return { ok: false, message: `unsupported content type "${type}"; expected one of ${accepted.join(', ')}` };
  }
  if (type === FORM_URLENCODED) return formField(body);
  if (type === FORM_BASE64) return base64Field(body);
  if (type === FORM_PLAINTEXT) return { ok: true, text: body.startsWith('cdr=') ? body.slice(4) : body };
  if (type !== undefined) return { ok: true, text: body };

  const text = body.trimStart();
  if (!text.startsWith('cdr=')) return { ok: true, text: body };
  const rest = text.slice(4).trimStart();
  if (rest.startsWith('{') || rest.startsWith('<')) return { ok: true, text: rest };
  if (rest.startsWith('%')) return formField(text);
  return base64Field(text);
}

function formField(body: string): CdrBody {
  const cdr = new URLSearchParams(body.trim()).get('cdr');
  if (cdr === null) return { ok: false, message: 'form body has no cdr= field' };
  return { ok: true, text: cdr };
}

function base64Field(body: string): CdrBody {
  const text = body.trim();
  const payload = (text.startsWith('cdr=') ? text.slice(4) : text).replace(/\s+/g, '');
  if (!payload) return { ok: false, message: 'empty cdr= field' };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(payload)) return { ok: false, message: 'cdr= field is neither URL-encoded nor valid base64' };
  return { ok: true, text: Buffer.from(payload, 'base64').toString('utf8') };
}
