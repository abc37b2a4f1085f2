/** Kept as they are in a key or a file name; everything else is percent-encoded, so that the id can be read back. */
const KEEP = /^[A-Za-z0-9._-]$/;

/** A call id as one safe path segment (an object key's, a file's): never a "/", never starting with a dot. */
export function safeName(externalId: string): string {
  let out = '';
  for (const ch of externalId) {
    if (KEEP.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  // A key segment of only dots ('.', '..') is refused or resolved as a path by some S3-compatible stores.
  return out.startsWith('.') ? `%2E${out.slice(1)}` : out;
}
