/**
 * What the adapter tests share: their fixtures folder and its `callbridge.yaml` options, inputs from a file or a
 * body, the items of one parse, and the legs grouped and merged as the ingestor does.
 */
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { expect } from '@jest/globals';
import type { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import type { AdapterDefinition, AdapterInput, ParseItem } from '../../adapters/types.js';
import type { CallRecord } from '../../adapters/call-record.js';

export function fixtureDir(adapterId: string): string {
  return path.resolve('test/fixtures', adapterId);
}

/** The options of the first source in `test/fixtures/<id>/callbridge.yaml`, as written (not yet validated). */
export function fixtureSourceOptions(adapterId: string): Record<string, unknown> {
  const config = parseYaml(readFileSync(path.join(fixtureDir(adapterId), 'callbridge.yaml'), 'utf8')) as { sources: Array<{ options: Record<string, unknown> }> };
  return config.sources[0]?.options as Record<string, unknown>;
}

export async function parseItems<S extends z.ZodType>(adapter: AdapterDefinition<S>, input: AdapterInput, options: z.infer<S>): Promise<ParseItem[]> {
  const out: ParseItem[] = [];
  for await (const item of adapter.parse(input, options)) out.push(item);
  return out;
}

export function fileInput(dir: string, name: string): AdapterInput {
  return { name: path.join(dir, name), stream: createReadStream(path.join(dir, name)) };
}

/** A body as an input named `name` (`hook:<source>` for a hook post), with its content type and query when given. */
export function bodyInput(name: string, body: string | Buffer, opts: { contentType?: string; query?: Record<string, string>; firstLine?: number } = {}): AdapterInput {
  const input: AdapterInput = { name, stream: Readable.from([Buffer.from(body)]) };
  if (opts.contentType !== undefined) input.contentType = opts.contentType;
  if (opts.query) input.query = opts.query;
  if (opts.firstLine !== undefined) input.firstLine = opts.firstLine;
  return input;
}

/** Groups the legs by groupKey and merges each group, as the ingestor does. */
export function mergedCalls(adapter: Pick<AdapterDefinition, 'merge'>, list: ParseItem[]): Map<string, CallRecord> {
  const groups = new Map<string, CallRecord[]>();
  for (const item of list) {
    if (item.kind === 'leg') groups.set(item.groupKey, [...(groups.get(item.groupKey) ?? []), item.leg]);
  }
  return new Map([...groups].map(([key, legs]) => [key, adapter.merge(legs)]));
}

/** The one value of `values`, asserting there is exactly one. */
export function only<T>(values: Iterable<T>): T {
  const list = [...values];
  expect(list).toHaveLength(1);
  return list[0] as T;
}

/** One parse, seen the way the CSV adapter tests check it: every item, the merged calls, the errors, the skips. */
export interface Parsed {
  items: ParseItem[];
  calls: CallRecord[];
  errors: Array<{ location: string; message: string }>;
  skips: Array<{ location: string; reason: string }>;
}

export async function parseSummary<S extends z.ZodType>(adapter: AdapterDefinition<S>, input: AdapterInput, options: z.infer<S>): Promise<Parsed> {
  const items = await parseItems(adapter, input, options);
  return {
    items,
    calls: [...mergedCalls(adapter, items).values()],
    errors: items.flatMap((i) => (i.kind === 'error' ? [{ location: i.location, message: i.message }] : [])),
    skips: items.flatMap((i) => (i.kind === 'skip' ? [{ location: i.location, reason: i.reason }] : [])),
  };
}
