import path from 'node:path';
import type { SplitConfig } from './config.js';

/**
 * The two mono files of a call recorded one direction per file, from the path the PBX gives for its recording:
 * recordings.split's templates with {dir}, {name} (without the extension) and {ext} (with its dot). Internal calls
 * are sent as outgoing, so they take the outgoing templates. Pure.
 */
export function pairPaths(recordingPath: string, split: SplitConfig, direction: 'incoming' | 'outgoing' | 'internal'): { participant: string; owner: string } {
  const side = direction === 'incoming' ? 'incoming' : 'outgoing';
  const ext = path.extname(recordingPath);
  const values: Record<string, string> = { dir: path.dirname(recordingPath), name: path.basename(recordingPath, ext), ext };
  const render = (template: SplitConfig['participant']) => (typeof template === 'string' ? template : template[side]).replace(/\{(dir|name|ext)\}/g, (_, key: string) => values[key] as string);
  return { participant: render(split.participant), owner: render(split.owner) };
}
