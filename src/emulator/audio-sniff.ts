/**
 * Recognises an audio container from the first bytes of a recording, as Dstny must before it can analyse one:
 * a recording URL that answers 200 with an HTML login page or an S3 `<Error>` document is as useless to it
 * as a 404. Only the containers Dstny reads count; anything else is described so the refusal says what came back.
 */

export type Sniffed = { audio: true; container: string } | { audio: false; looksLike: string };

/** Enough for every signature below and for naming what a non-audio body looks like. */
export const SNIFF_BYTES = 4096;

const ascii = (bytes: Uint8Array, start: number, end: number): string => String.fromCharCode(...bytes.subarray(start, end));

/** MP4 `ftyp` brands of still images (HEIF, AVIF) and camera raw files: an ISO box header is not proof of audio. */
const IMAGE_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heif', 'hevc', 'mif1', 'msf1', 'crx ']);

/** The container an MPEG audio frame header at the start names, or null when those bytes are not one. */
function mpegFrame(b: Uint8Array): string | null {
  if (b.length < 3 || b[0] !== 0xff || (b[1]! & 0xe0) !== 0xe0) return null;
  const version = (b[1]! >> 3) & 0b11;
  const layer = (b[1]! >> 1) & 0b11;
  const bitrate = b[2]! >> 4;
  const sampleRate = (b[2]! >> 2) & 0b11;
  // 01 as version and 00 as layer are reserved, and so are the all-ones bitrate and sample-rate indexes:
  // checking them keeps arbitrary bytes that happen to start with 0xFFE from passing as MP3.
  if (version === 0b01 || layer === 0b00 || bitrate === 0b1111 || sampleRate === 0b11) return null;
  return layer === 0b01 ? 'MP3' : `MPEG audio layer ${layer === 0b10 ? 'II' : 'I'}`;
}

function adtsFrame(b: Uint8Array): boolean {
  // 12 sync bits, then the MPEG-2/4 id bit, layer always 00 (which tells it from MPEG audio), then protection_absent.
  if (b.length < 3 || b[0] !== 0xff || (b[1]! & 0xf6) !== 0xf0) return false;
  return ((b[2]! >> 2) & 0x0f) <= 12; // sampling frequency indexes 13-15 are reserved
}

function id3Tag(b: Uint8Array): boolean {
  // "ID3", a major version 2-4, then a size of four 7-bit bytes (synchsafe): a text file starting "ID3" fails the last.
  return b.length >= 10 && ascii(b, 0, 3) === 'ID3' && b[3]! >= 2 && b[3]! <= 4 && [6, 7, 8, 9].every((i) => b[i]! < 0x80);
}

function audioContainer(b: Uint8Array): string | null {
  const at = (offset: number, text: string) => b.length >= offset + text.length && ascii(b, offset, offset + text.length) === text;
  if ((at(0, 'RIFF') || at(0, 'RF64')) && at(8, 'WAVE')) return ascii(b, 0, 4) === 'RF64' ? 'WAV (RF64)' : 'WAV';
  if (id3Tag(b)) return 'MP3 (ID3 tag)';
  if (adtsFrame(b)) return 'AAC (ADTS)';
  const mpeg = mpegFrame(b);
  if (mpeg) return mpeg;
  if (at(0, 'OggS')) return 'Ogg';
  if (at(0, 'fLaC')) return 'FLAC';
  if (at(4, 'ftyp') && !(b.length >= 12 && IMAGE_BRANDS.has(ascii(b, 8, 12)))) return 'MP4/M4A';
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) {
    // The EBML header names its DocType near the start; "webm" is the only one told apart.
    return ascii(b, 4, Math.min(b.length, 64)).includes('webm') ? 'WebM' : 'Matroska';
  }
  return null;
}

/** Known non-audio binary formats a misconfigured server plausibly sends instead of a recording. */
const BINARY_KINDS: Array<[number[], string]> = [
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive'],
  [[0x1f, 0x8b], 'gzip data'],
];

/** Control bytes that do not occur in text (tab, line feed, form feed and carriage return do). */
const isControlByte = (byte: number) => byte < 0x09 || (byte > 0x0d && byte < 0x20) || byte === 0x7f;

function isText(bytes: Uint8Array): boolean {
  if (bytes.some(isControlByte)) return false;
  try {
    // stream: a character cut in two by the end of the sniffed bytes is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    // An old server's page in a legacy 8-bit encoding has a few bytes above 0x7F; data that is not text has many.
    return bytes.filter((byte) => byte > 0x7f).length * 8 < bytes.length;
  }
}

function describeText(text: string): string {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  const lower = start.toLowerCase();
  if (/^<!doctype html|^<html/.test(lower) || (start.startsWith('<') && /<(html|head|body)[\s>]/.test(lower))) return 'HTML';
  if (start.startsWith('<')) {
    const root = /^(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->|\s)*<([A-Za-z_][\w.:-]*)/.exec(start)?.[1];
    // S3 and S3-compatible stores answer a refused or missing object this way; its code is the useful part.
    const code = root === 'Error' ? /<Code>([^<]{1,64})<\/Code>/.exec(start)?.[1] : undefined;
    if (code) return `an XML error document with code ${code}`;
    return root ? `XML with root element <${root}>` : 'XML';
  }
  if (/^[{[]/.test(start)) return 'JSON';
  return 'text';
}

export function sniffAudio(bytes: Uint8Array): Sniffed {
  if (bytes.length === 0) return { audio: false, looksLike: 'an empty body' };
  const container = audioContainer(bytes);
  if (container) return { audio: true, container };
  const known = BINARY_KINDS.find(([magic]) => magic.every((byte, i) => bytes[i] === byte));
  if (known) return { audio: false, looksLike: known[1] };
  if (isText(bytes)) return { audio: false, looksLike: describeText(new TextDecoder().decode(bytes)) };
  const hex = [...bytes.subarray(0, 8)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return { audio: false, looksLike: `unrecognised binary data starting ${hex}` };
}
