import type { Sample } from './types.js';

/** How much of each file detection reads: enough for thousands of CDR lines or a few FreeSWITCH documents. */
export const SAMPLE_BYTES = 1024 * 1024;

export type Decoded = { ok: true; sample: Sample; notes: string[] } | { ok: false; seen: string };

/**
 * The first bytes of a file as text, or what they are when they are not text. Truncated samples end at their
 * last whole line, so that no detector (and no adapter's trial parse) sees a record cut in the middle.
 */
export function decodeSample(name: string, bytes: Uint8Array, size: number): Decoded {
  if (bytes.length === 0) return { ok: false, seen: 'the file is empty' };
  const head = bytes.subarray(0, 8192);
  const nuls = head.reduce((n, b) => (b === 0 ? n + 1 : n), 0);
  // One stray NUL is a damaged line of a text file; many are binary data (or UTF-16, which no PBX here writes).
  if (nuls > head.length / 100) return { ok: false, seen: `binary data (${nuls} NUL bytes in the first ${formatSize(head.length)}), not a text CDR file` };
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  const truncated = size > bytes.length;
  const notes: string[] = nuls ? [`the file has NUL bytes in it (a damaged line?): the adapter reports such lines as errors`] : [];
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    // A sample cut inside a multi-byte character is still UTF-8: only a bad byte before the cut is not.
    const valid = truncated ? validUtf8Prefix(body) : undefined;
    if (valid !== undefined && valid > body.length - 4) text = new TextDecoder('utf-8').decode(body.subarray(0, valid));
    else {
      text = new TextDecoder('utf-8').decode(body);
      const bad = (text.match(/\uFFFD/g) ?? []).length;
      if (bad > text.length / 10) return { ok: false, seen: `binary data (${bad} bytes that are not UTF-8 text in the first ${formatSize(body.length)})` };
      notes.push('the file is not valid UTF-8 (a Windows-1252 or Latin-1 export?): callbridge reads UTF-8, so names with å, ä, ö come out garbled; export it as UTF-8');
    }
  }
  if (truncated) {
    const end = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    if (end > 0) text = text.slice(0, end + 1);
  }
  if (text.trim() === '') return { ok: false, seen: 'only white space' };
  return { ok: true, sample: { name, text, truncated, size, bom }, notes };
}

/** The length of the longest prefix of `bytes` that decodes as UTF-8 (a cut character at the end excluded). */
function validUtf8Prefix(bytes: Uint8Array): number | undefined {
  for (let cut = bytes.length; cut > bytes.length - 4 && cut > 0; cut--) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, cut));
      return cut;
    } catch {
      // try one byte shorter
    }
  }
  return undefined;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
