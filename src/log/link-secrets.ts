/**
 * Reasons stored on rows can quote links: a PBX's recording URL (often pre-signed, `?X-Amz-Signature=...`),
 * or Dstny echoing our own recording link, whose last path segment is a signed token that lets anyone fetch
 * the recording. An operator needs to know WHICH link, not its credentials, so a link keeps its scheme, host
 * and path; its user:password, query and fragment are cut, and a signed recording token is replaced.
 */
const LINK = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi;
/** Our recording token: base64url(JSON claim) "." base64url(HMAC-SHA256), src/recordings/token.ts. */
const RECORDING_TOKEN = /(?<![\w-])eyJ[\w-]{13,}\.[\w-]{43}(?![\w-])/g;
export const HIDDEN = '…';

export function withoutLinkSecrets(text: string): string {
  return text.replace(LINK, cleanLink).replace(RECORDING_TOKEN, HIDDEN);
}

function cleanLink(link: string): string {
  // Sentence punctuation right after a link is not part of it.
  const trail = /[.,;:!?]+$/.exec(link)?.[0] ?? '';
  let out = trail ? link.slice(0, -trail.length) : link;
  out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
  const cut = out.search(/[?#]/);
  if (cut >= 0) out = `${out.slice(0, cut)}?${HIDDEN}`;
  return out + trail;
}
