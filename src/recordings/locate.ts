import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export type LocatedRecording = { kind: 'file'; file: string; size: number } | { kind: 'missing' } | { kind: 'outside' };

/**
 * Where a row's recording is, if it may be served: symlinks resolved (realpath), then required to be inside one of
 * the roots (also resolved). A relative path is looked up under each root in turn.
 */
export async function locateRecording(recordingPath: string, roots: readonly string[]): Promise<LocatedRecording> {
  const realRoots: string[] = [];
  for (const root of roots) {
    const r = await realpath(path.resolve(root)).catch(() => null);
    if (r) realRoots.push(r);
  }
  const candidates = path.isAbsolute(recordingPath) ? [recordingPath] : realRoots.map((root) => path.join(root, recordingPath));
  let sawOutside = false;
  for (const candidate of candidates) {
    const real = await realpath(candidate).catch(() => null);
    if (!real) continue;
    if (!realRoots.some((root) => isInside(root, real))) {
      sawOutside = true;
      continue;
    }
    const st = await stat(real).catch(() => null);
    if (!st?.isFile()) continue;
    return { kind: 'file', file: real, size: st.size };
  }
  return sawOutside ? { kind: 'outside' } : { kind: 'missing' };
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel);
}

/** `raw.recording.path` of a stored CallRecord, when it is a non-empty string. */
export function localRecordingPath(raw: unknown): string | null {
  const recording = (raw as { recording?: { path?: unknown } } | null)?.recording;
  const p = recording?.path;
  return typeof p === 'string' && p.length > 0 ? p : null;
}
