import type { FileHandle } from 'node:fs/promises';

/** A "line" longer than this without a newline is handed over as it is; the adapter reports it as bad. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * The complete lines starting at `offset`: up to `maxBytes` (more when a single line is longer), ending just after
 * a newline; null when there is no complete line yet. `final`: the file will not grow, so a last line without its
 * newline is complete too.
 */
export async function readLinesAt(handle: FileHandle, offset: number, size: number, maxBytes: number, final: boolean): Promise<Buffer | null> {
  let want = Math.min(size - offset, maxBytes);
  for (;;) {
    const buf = Buffer.alloc(want);
    const { bytesRead } = await handle.read(buf, 0, want, offset);
    const data = buf.subarray(0, bytesRead);
    const nl = data.lastIndexOf(0x0a);
    const atEnd = offset + bytesRead >= size;
    if (nl >= 0) return data.subarray(0, nl + 1);
    if (atEnd) return final && bytesRead > 0 ? data : null;
    if (want >= MAX_LINE_BYTES) return data; // a runaway line: hand it over so parsing goes on past it
    want = Math.min(size - offset, want * 2, MAX_LINE_BYTES);
  }
}

/** Lines in a chunk of complete lines (a last line without its newline counts too). */
export function countLines(chunk: Buffer): number {
  let n = 0;
  let i = -1;
  while ((i = chunk.indexOf(0x0a, i + 1)) !== -1) n++;
  if (chunk.length > 0 && chunk[chunk.length - 1] !== 0x0a) n++;
  return n;
}

/** Offset just after the last newline of the first `size` bytes, and how many lines precede it (startAt: end). */
export async function lastCompleteLine(handle: FileHandle, size: number): Promise<{ offset: number; lines: number }> {
  const buf = Buffer.alloc(64 * 1024);
  let offset = 0;
  let lines = 0;
  let lastNl = -1;
  for (let pos = 0; pos < size; ) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - pos), pos);
    if (bytesRead === 0) break;
    for (let i = buf.indexOf(0x0a); i !== -1 && i < bytesRead; i = buf.indexOf(0x0a, i + 1)) {
      lines++;
      lastNl = pos + i;
    }
    pos += bytesRead;
  }
  if (lastNl >= 0) offset = lastNl + 1;
  return { offset, lines };
}
