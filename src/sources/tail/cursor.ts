import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { FP_BYTES, positionOf, type TailPosition } from './checkpoint.js';
import { countLines, lastCompleteLine } from './lines.js';

/** An open file and where the tail stands in it. */
export interface Cursor extends TailPosition {
  handle: FileHandle;
  /** The name the file had when it was opened (error locations). */
  name: string;
}

/** The identity a stat gives: enough to tell whether a path still names the file a cursor reads. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

const EMPTY_FINGERPRINT = sha256(Buffer.alloc(0));

/** Nothing read yet. The fingerprint of no bytes matches any file: only the inode names it until a line is read. */
export function startOf(file: FileIdentity): TailPosition {
  return { dev: file.dev, ino: file.ino, offset: 0, line: 1, fpLen: 0, fp: EMPTY_FINGERPRINT };
}

/** After the last complete line of the file as it is now (startAt: end): only lines written from now on are read. */
export async function endOf(handle: FileHandle, file: FileIdentity & { size: number }): Promise<TailPosition> {
  const { offset, lines } = await lastCompleteLine(handle, file.size);
  return withFingerprint(handle, { ...startOf(file), offset, line: lines + 1 });
}

/** The position after `chunk`, the complete lines read at `at.offset`. */
export async function advance(handle: FileHandle, at: TailPosition, chunk: Buffer): Promise<TailPosition> {
  return withFingerprint(handle, { ...positionOf(at), offset: at.offset + chunk.length, line: at.line + countLines(chunk) });
}

/** Whether the file still starts with the bytes the position fingerprinted (false after a truncation or a rewrite). */
export async function fingerprintMatches(handle: FileHandle, at: Pick<TailPosition, 'fpLen' | 'fp'>): Promise<boolean> {
  const head = await readHead(handle, at.fpLen);
  return head.length === at.fpLen && sha256(head) === at.fp;
}

/** The fingerprint grows with the offset until it covers FP_BYTES; past that it never needs reading again. */
async function withFingerprint(handle: FileHandle, at: TailPosition): Promise<TailPosition> {
  const len = Math.min(at.offset, FP_BYTES);
  if (len === at.fpLen) return at;
  return { ...at, fpLen: len, fp: sha256(await readHead(handle, len)) };
}

async function readHead(handle: FileHandle, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  if (len === 0) return buf;
  const { bytesRead } = await handle.read(buf, 0, len, 0);
  return buf.subarray(0, bytesRead);
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}
