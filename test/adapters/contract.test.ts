import { readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync, createWriteStream, readdirSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adapters } from '../../adapters/registry.js';
import { REPO_ROOT, fixtureFolder, runParseCase } from '../pipeline/fixture-cases.js';

/**
 * The adapter contract (issue 3):
 * 1. Golden fixtures: every registered adapter has cases in test/fixtures/<id>/, and `callbridge parse` over
 *    each case prints exactly its `<case>.expected.ndjson` (regenerate with `npx tsx scripts/update-goldens.ts`,
 *    then read what changed).
 * 2. Hostile inputs: every adapter, fed every file in test/fixtures/hostile/ plus generated giants, finishes in
 *    bounded time, does not crash, and answers with located errors only — never a payload.
 */

const HOSTILE_DIR = 'test/fixtures/hostile';
/** Per parse of a hostile input. Generous: the machine is shared; a hang or a blow-up is minutes, not seconds. */
const HOSTILE_BOUND_MS = 30_000;

describe.each(adapters.map((a) => [a.id]))('adapter %s: golden fixtures', (adapterId) => {
  const folder = fixtureFolder(adapterId);

  it('has a usable fixture folder with cases', () => {
    expect(folder.problems).toEqual([]);
    expect(folder.cases.length).toBeGreaterThan(0);
  });

  it.each(folder.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const expectedFile = path.join(REPO_ROOT, c.expected);
    if (!existsSync(expectedFile)) throw new Error(`${c.expected} is missing: run npx tsx scripts/update-goldens.ts ${adapterId}, then read it`);
    const run = await runParseCase(adapterId, folder.config, c.input);
    expect(run.code).toBe(0);
    // Line by line, parsed: a failure names the call that differs.
    const lines = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
    expect(lines(run.stdout)).toEqual(lines(readFileSync(expectedFile, 'utf8')));
    // ...and byte for byte, so that the output format itself (one compact JSON object per line) is pinned too.
    expect(run.stdout).toBe(readFileSync(expectedFile, 'utf8'));
  });
});

describe('hostile inputs', () => {
  let tmp: string;
  const generated: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'cb-hostile-'));
    const ten = 10 * 1024 * 1024;
    // A CSV row whose middle field is 10 MB.
    const csv = path.join(tmp, 'ten-mb-field.csv');
    writeFileSync(csv, `"","0701234567","${'x'.repeat(ten)}","from-trunk"\n"","0701234568","201"\n`);
    // A JSON document with a 10 MB string.
    const json = path.join(tmp, 'ten-mb-field.json');
    writeFileSync(json, `{"variables":{"uuid":"${'y'.repeat(ten)}","start_epoch":"1709630043"},"CallSid":"CA1"}\n`);
    // 20 MB on one line and no newline at all, written in pieces.
    const line = path.join(tmp, 'huge-single-line.txt');
    const out = createWriteStream(line);
    const piece = 'abc,"def",123;ghi\t'.repeat(1 << 14);
    for (let written = 0; written < 20 * 1024 * 1024; written += piece.length) {
      if (!out.write(piece)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    generated.push(csv, json, line);
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  const committed = readdirSync(path.join(REPO_ROOT, HOSTILE_DIR))
    .filter((f) => !/^readme/i.test(f))
    .sort()
    .map((f) => path.join(HOSTILE_DIR, f));

  const cases = adapters.flatMap((a) => [...committed, 'ten-mb-field.csv', 'ten-mb-field.json', 'huge-single-line.txt'].map((f) => [a.id, f] as const));

  it.each(cases)('%s survives %s: bounded, no crash, located errors only', async (adapterId, name) => {
    const input = name.startsWith(HOSTILE_DIR) ? name : (generated.find((g) => g.endsWith(name)) as string);
    const config = fixtureFolder(adapterId).config;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`parse did not finish within ${HOSTILE_BOUND_MS} ms`)), HOSTILE_BOUND_MS);
    });
    const run = await Promise.race([runParseCase(adapterId, config, input), bound]).finally(() => clearTimeout(timer));
    expect(Date.now() - started).toBeLessThan(HOSTILE_BOUND_MS);

    expect({ code: run.code, stderr: run.stderr.includes('\n    at ') ? run.stderr : 'no stack trace' }).toEqual({ code: 0, stderr: 'no stack trace' });
    const lines = run.stdout.split('\n').filter((l) => l !== '');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of parsed) {
      expect(line).not.toHaveProperty('payload');
      expect(Object.keys(line).sort()).toEqual(['error', 'source', 'state']);
      expect(['rejected', 'skipped']).toContain(line.state);
      expect(typeof line.error).toBe('string');
      // Located: the input's path, then ":LINE" where there is a line to name.
      expect(String(line.source).startsWith(input)).toBe(true);
      expect(String(line.source).slice(input.length)).toMatch(/^(:\d+)?$/);
      // Messages stay readable: a 10 MB field is not echoed back.
      expect(String(line.error).length).toBeLessThan(2_000);
    }
    if (!name.endsWith('empty.txt')) expect(parsed.length).toBeGreaterThan(0);
  }, HOSTILE_BOUND_MS + 10_000);
});
