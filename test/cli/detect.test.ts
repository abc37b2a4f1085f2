import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { adapters } from '../../adapters/registry.js';
import { runCheckConfig } from '../../src/cli/check-config.js';
import { runDetect } from '../../src/cli/detect.js';
import { detectSample } from '../../src/cli/detect/detect-file.js';
import { SAMPLE_BYTES, decodeSample } from '../../src/cli/detect/sample.js';
import type { Verdict } from '../../src/cli/detect/types.js';
import { runParse } from '../../src/cli/parse.js';
import { REPO_ROOT, fixtureFolder } from '../pipeline/fixture-cases.js';
import { tempDir } from '../support/tmp.js';

/**
 * `callbridge detect` (issue 12): every adapter's golden fixtures are recognised as that adapter, other call
 * exports get a generic mapping, and what detect writes is a config check-config accepts and parse reads.
 */

const fixture = (...parts: string[]) => path.join(REPO_ROOT, ...parts);
const DETECT_FIXTURES = fixture('test', 'fixtures-detect');
const STOCKHOLM = 'Europe/Stockholm';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('cb-detect-');
});
afterAll(() => tmp.cleanup());

let folders = 0;
/** A fresh folder under the test's temp dir. */
function freshDir(name: string): string {
  const dir = path.join(tmp.dir, `${name}-${++folders}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function detectFile(file: string): Promise<Verdict> {
  const bytes = readFileSync(file);
  const decoded = decodeSample(file, bytes.subarray(0, SAMPLE_BYTES), bytes.length);
  if (!decoded.ok) return { kind: 'unknown', file, seen: decoded.seen, why: 'not text' };
  return detectSample(decoded.sample, decoded.notes);
}

async function detect(paths: string[], opts: { writeDir?: string; machineZone?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runDetect({
    paths,
    writeDir: opts.writeDir,
    machineZone: opts.machineZone ?? STOCKHOLM,
    stdout: { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream,
  });
  return { code, stdout, stderr };
}

/**
 * What a user does with detect's output before trying it: saves it, points each source at a real folder
 * (the placeholder is the one line the header says to edit) and keeps the ledger out of the checkout.
 */
function adopt(yaml: string, dir: string): string {
  const drop = path.join(dir, 'drop');
  mkdirSync(drop, { recursive: true });
  const edited = yaml.replace(/^(\s+(?:- )?path: )\/srv\/callbridge\/\S+/gm, `$1${drop}`);
  const file = path.join(dir, 'callbridge.yaml');
  writeFileSync(file, `${edited}\ndataDir: ${path.join(dir, 'data')}\n`);
  return file;
}

async function checkConfig(file: string) {
  let text = '';
  const code = await runCheckConfig(file, { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream);
  return { code, text };
}

type Line = { payload?: Record<string, unknown>; error?: string; source?: string; state?: string };

async function parse(configFile: string, files: string[], sourceId?: string) {
  let out = '';
  let err = '';
  const code = await runParse({
    configFile,
    sourceId,
    files,
    stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
  });
  const lines = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
  return { code, lines, stderr: err };
}

/** Errors that would mean the detected options read the file wrong (a column, a time format, a delimiter). */
const MAPPING_WRONG =
  /does not match|not in the header|is missing or empty|has an empty field|expected \d+ (?:fields|columns)|is not a (?:whole number|duration|time)|not an ISO 8601|not a CUCM CDR header|wrong delimiter|invalid JSON|is not 1 \(CDR\)/;

/** Every line is a payload, or a call skipped or rejected with a reason; none says the mapping is wrong. */
function expectEveryCallAccountedFor(lines: Line[]): void {
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    if (line.payload) continue;
    expect(line).toEqual(expect.objectContaining({ error: expect.any(String), state: expect.stringMatching(/^(?:rejected|skipped)$/) }));
    expect(line.error).not.toMatch(MAPPING_WRONG);
  }
}

/** The owners template with an email for every extension: what the user fills in. */
function fillOwners(csvFile: string): string[] {
  const extensions: string[] = [];
  const filled = readFileSync(csvFile, 'utf8').replace(/^# ([^,\s]+),,(.*)$/gm, (_line, extension: string, name: string) => {
    extensions.push(extension);
    return `${extension},user-${extension.replace(/\W/g, '')}@example.com,${name}`;
  });
  writeFileSync(csvFile, filled);
  return extensions;
}

// Cases in the golden folders that are broken on purpose: the format's marks are there, its adapter refuses the file.
const BROKEN: Record<string, { confidence: 'likely' | 'unsure'; says: RegExp }> = {
  'cucm/wrong-delimiter': { confidence: 'likely', says: /separated by ";"/ },
  'freeswitch-json/truncated': { confidence: 'likely', says: /does not parse/ },
  'freeswitch-xml/truncated': { confidence: 'likely', says: /could not read/ },
  'freeswitch-xml/billion-laughs': { confidence: 'unsure', says: /DOCTYPE/ },
  'freeswitch-xml/external-entity': { confidence: 'unsure', says: /DOCTYPE/ },
  'twilio/missing-callsid': { confidence: 'likely', says: /no CallSid/ },
};

describe.each(adapters.map((a) => [a.id]))('detect on the golden fixtures of %s', (adapterId) => {
  const folder = fixtureFolder(adapterId);
  it.each(folder.cases.map((c) => [c.name, c.input] as const))('%s is recognised as its adapter', async (name, input) => {
    const verdict = await detectFile(fixture(input));
    expect(verdict).toEqual(expect.objectContaining({ kind: 'detected', adapter: adapterId }));
    if (verdict.kind !== 'detected') return;
    const broken = BROKEN[`${adapterId}/${name}`];
    expect(verdict.confidence).toBe(broken?.confidence ?? 'sure');
    // The evidence says what was seen and what the adapter made of it.
    expect(verdict.evidence.join('\n')).toMatch(broken?.says ?? new RegExp(`the ${adapterId} adapter read [1-9]\\d* (?:call legs?|call legs?, \\d+ recognised)|recognised but not calls`));
  });
});

describe('the real PBX output in test/fixtures', () => {
  it.each([
    ['test/fixtures/asterisk-real/Master.csv', 'asterisk-csv'],
    ['test/fixtures/asterisk-freepbx/Master.csv', 'asterisk-csv'],
  ])('%s is %s, sure', async (file, adapter) => {
    expect(await detectFile(fixture(file))).toEqual(expect.objectContaining({ adapter, confidence: 'sure' }));
  });

  it('a folder of FreeSWITCH json_cdr files is one freeswitch-json source, every file sure', async () => {
    const folder = fixture('test/fixtures/freeswitch-real/json_cdr');
    const run = await detect([folder]);
    expect(run.code).toBe(0);
    const files = readdirSync(folder).filter((f) => !f.startsWith('.'));
    expect(run.stderr.match(/: freeswitch-json \(sure\)/g)).toHaveLength(files.length);
    const config = parseYaml(run.stdout) as { sources: Array<{ adapter: string }> };
    expect(config.sources.map((s) => s.adapter)).toEqual(['freeswitch-json']);
  });
});

describe('a starter config for each adapter: check-config accepts it, parse reads every call with it', () => {
  const cases: Array<[string, string[]]> = [
    ['asterisk-csv', ['test/fixtures/asterisk-csv/incoming-answered.csv', 'test/fixtures/asterisk-csv/queue-ring-all.csv', 'test/fixtures/asterisk-csv/outgoing-18-columns.csv']],
    ['asterisk-csv', ['test/fixtures/asterisk-real/Master.csv']],
    ['cucm', ['test/fixtures/cucm/basic-calls.csv', 'test/fixtures/cucm/recording-forks.csv', 'test/fixtures/cucm/cmr-file.csv']],
    ['3cx', ['test/fixtures/3cx/v16-office.csv', 'test/fixtures/3cx/v18-v20-format.csv']],
    ['freeswitch-json', ['test/fixtures/freeswitch-json/ring-group.ndjson', 'test/fixtures/freeswitch-json/inbound-answered.form']],
    ['freeswitch-xml', ['test/fixtures/freeswitch-xml/unanswered.xml', 'test/fixtures/freeswitch-xml/outbound-plaintext.form']],
    ['twilio', ['test/fixtures/twilio/inbound-with-recording.form', 'test/fixtures/twilio/outbound-api-recorded.ndjson']],
    ['generic', ['test/fixtures/generic/export-small.json']],
  ];
  it.each(cases)('%s: %j', async (adapter, relative) => {
    const files = relative.map((f) => fixture(f));
    const run = await detect(files);
    expect(run.code).toBe(0);
    const config = parseYaml(run.stdout) as { sources: Array<{ adapter: string; type: string }> };
    expect(config.sources).toEqual([expect.objectContaining({ adapter, type: 'drop' })]);

    const file = adopt(run.stdout, freshDir(adapter));
    const check = await checkConfig(file);
    expect(check.text).toMatch(/: OK/);
    expect(check.code).toBe(0);

    const parsed = await parse(file, files);
    expect(parsed.code).toBe(0);
    expectEveryCallAccountedFor(parsed.lines);
  });

  it('with --write and the owners filled in, recorded answered calls become payloads', async () => {
    const dir = freshDir('write');
    const input = fixture('test/fixtures/asterisk-csv/incoming-answered.csv');
    const run = await detect([input], { writeDir: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/wrote .*callbridge\.yaml and .*owners\.csv/);
    const yaml = readFileSync(path.join(dir, 'callbridge.yaml'), 'utf8');
    expect((parseYaml(yaml) as { normalize: { owners: unknown } }).normalize.owners).toEqual({ csv: 'owners.csv' });

    // As written (every owner line still commented out), the check passes and the call waits for its owner.
    const file = adopt(yaml, dir);
    expect((await checkConfig(file)).code).toBe(0);
    const before = await parse(file, [input]);
    expect(before.lines).toEqual([expect.objectContaining({ state: 'rejected', error: 'no owner for extension 201' })]);

    expect(fillOwners(path.join(dir, 'owners.csv'))).toEqual(['201']);
    expect((await checkConfig(file)).code).toBe(0);
    const after = await parse(file, [input]);
    expect(after.lines).toEqual([
      // 09:14:03 on the PBX's clock, in the zone detect read from the uniqueid: 07:14:03 UTC.
      { payload: expect.objectContaining({ call_external_id: '1714634043.1187', call_start_time: '2024-05-02T07:14:03Z', owner_email: 'user-201@example.com' }) },
    ]);
  });
});

describe('other call exports: a generic mapping', () => {
  const exports: Array<{ file: string; confidence: string; options: Record<string, unknown>; payloads: number }> = [
    {
      file: 'billing-export-sv.csv',
      confidence: 'sure',
      options: {
        format: 'csv',
        csv: { delimiter: ';' },
        fields: expect.objectContaining({ externalId: 'Samtals-ID', startTime: 'Starttid', fromNumber: 'Från', toNumber: 'Till', ownerExtension: 'Anknytning', talkSec: 'Samtalstid (s)', recording: 'Inspelning', disposition: 'Status' }),
        direction: { field: 'Riktning', values: { Inkommande: 'incoming', Utgående: 'outgoing', Intern: 'internal' } },
        outcome: { values: { Besvarat: 'answered', Obesvarat: 'no-answer', Upptaget: 'busy' } },
      },
      // Rows 1, 2, 6, 7, 8: answered and recorded; 3 and 4 unanswered, 5 internal.
      payloads: 5,
    },
    {
      file: 'call-detail-report.csv',
      // No id column: the call id is made of the start and the parties, which is a guess to check.
      confidence: 'likely',
      options: {
        format: 'csv',
        fields: { externalId: '{Date} {Time}/{From}/{To}', startTime: '{Date} {Time}', talkSec: 'Duration (s)', fromNumber: 'From', toNumber: 'To', recording: 'Recording' },
        time: { format: 'dd/MM/yyyy HH:mm:ss' },
      },
      // 1, 2, 5, 6 (3 has 0 seconds: unanswered; 4 is internal).
      payloads: 4,
    },
    {
      file: 'excel-export-bom.csv',
      confidence: 'sure',
      options: expect.objectContaining({
        format: 'csv',
        fields: expect.objectContaining({ externalId: 'Call ID', startTime: 'Start Time', endTime: 'End Time', talkSec: 'Talk Time', fromName: 'Caller Name', ownerExtension: 'Agent', recording: 'Recording URL' }),
        time: { format: 'd.M.yyyy H:mm:ss' },
        outcome: { values: { Answered: 'answered', Missed: 'no-answer', Busy: 'busy' } },
      }),
      // 1, 2, 6 answered and recorded; 5 (Voicemail, 55 s of talk, recorded) too; 3 missed, 4 busy.
      payloads: 4,
    },
    {
      file: 'calls-api.json',
      confidence: 'sure',
      options: expect.objectContaining({
        format: 'json',
        jsonRecords: 'data.calls',
        fields: expect.objectContaining({ externalId: 'id', startTime: 'started_at', fromNumber: 'caller.number', toNumber: 'callee.number', recording: 'recording_url' }),
      }),
      payloads: 2,
    },
  ];

  it.each(exports.map((e) => [e.file, e] as const))('%s', async (name, expected) => {
    const input = path.join(DETECT_FIXTURES, name);
    const verdict = await detectFile(input);
    expect(verdict).toEqual(expect.objectContaining({ kind: 'detected', adapter: 'generic', confidence: expected.confidence }));
    if (verdict.kind !== 'detected') return;
    expect(verdict.options).toEqual(expected.options);

    const dir = freshDir(name);
    const run = await detect([input], { writeDir: dir });
    expect(run.code).toBe(0);
    const file = adopt(readFileSync(path.join(dir, 'callbridge.yaml'), 'utf8'), dir);
    const check = await checkConfig(file);
    expect(check.text).toMatch(/: OK/);

    const unowned = await parse(file, [input]);
    expectEveryCallAccountedFor(unowned.lines);
    expect(fillOwners(path.join(dir, 'owners.csv')).length).toBeGreaterThan(0);
    expect((await checkConfig(file)).code).toBe(0);
    const owned = await parse(file, [input]);
    expectEveryCallAccountedFor(owned.lines);
    expect(owned.lines.filter((l) => l.payload)).toHaveLength(expected.payloads);
  });

  it('the Excel export: its byte order mark and names with å, ä, ö are read', async () => {
    const verdict = await detectFile(path.join(DETECT_FIXTURES, 'excel-export-bom.csv'));
    if (verdict.kind !== 'detected') throw new Error('not detected');
    expect(verdict.evidence.join('\n')).toMatch(/byte order mark/);
    // The first column's name is "Call ID", not "\uFEFFCall ID": the BOM is not part of it.
    expect((verdict.options.fields as Record<string, string>).externalId).toBe('Call ID');
    expect(verdict.trial.legs.map((l) => l.from.name)).toContain('Örjan Ödmark');
  });
});

describe('files it cannot read', () => {
  it('a JSON file of something else: named, with what was seen; exit 1 and no config', async () => {
    const file = path.join(DETECT_FIXTURES, 'pbx-settings.json');
    const run = await detect([file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${file}: not recognised: JSON (records at "trunks") with the fields "name", "host", "channels"`);
    expect(run.stderr).toMatch(/no field holds a call's start time/);
  });

  it('next to a file it recognises, the unknown one is listed and the config is still written (exit 0)', async () => {
    const run = await detect([fixture('test/fixtures/cucm/basic-calls.csv'), path.join(DETECT_FIXTURES, 'pbx-settings.json')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/# .*pbx-settings\.json: not recognised/);
    expect((parseYaml(run.stdout) as { sources: unknown[] }).sources).toHaveLength(1);
  });

  it('no path is a usage error (2); a missing file or a binary one is read as nothing (1)', async () => {
    expect((await detect([])).code).toBe(2);
    const missing = path.join(tmp.dir, 'no-such-file.csv');
    const run = await detect([missing, fixture('test/fixtures/hostile/binary-garbage.bin')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${missing}: cannot read it: no such file or folder`);
    expect(run.stderr).toMatch(/binary-garbage\.bin: not recognised: binary data/);
  });

  it('hostile inputs are never "sure" of anything', async () => {
    const dir = fixture('test/fixtures/hostile');
    for (const name of readdirSync(dir)) {
      const verdict = await detectFile(path.join(dir, name));
      if (verdict.kind === 'detected') expect([name, verdict.confidence]).not.toEqual([name, 'sure']);
    }
  });

  it('--write never replaces a file: an existing config stays as it was, and nothing else is written', async () => {
    const dir = freshDir('existing');
    writeFileSync(path.join(dir, 'callbridge.yaml'), '# mine\n');
    const run = await detect([fixture('test/fixtures/3cx/v16-office.csv')], { writeDir: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/callbridge\.yaml already exists: nothing was written/);
    expect(readFileSync(path.join(dir, 'callbridge.yaml'), 'utf8')).toBe('# mine\n');
    expect(existsSync(path.join(dir, 'owners.csv'))).toBe(false);
  });
});

describe('time zone, extensions and owners from the data', () => {
  const normalizeOf = (yaml: string) => (parseYaml(yaml) as { normalize: Record<string, unknown> }).normalize;
  /** The comment written after `key:` in the YAML text. */
  const commentOf = (yaml: string, key: string) => new RegExp(`^\\s*${key}: .* # (.*)$`, 'm').exec(yaml)?.[1] ?? '';

  it("Asterisk: the uniqueid epochs show the PBX's UTC offset; a machine in that zone is taken without a TODO", async () => {
    const run = await detect([fixture('test/fixtures/asterisk-csv/incoming-answered.csv')], { machineZone: STOCKHOLM });
    expect(normalizeOf(run.stdout).timezone).toBe(STOCKHOLM);
    expect(commentOf(run.stdout, 'timezone')).toMatch(/UTC\+02:00 on 2024-05-02/);
    expect(commentOf(run.stdout, 'timezone')).not.toMatch(/TODO/);
  });

  it('Asterisk on a machine in another zone: a zone that fits the offset, with a TODO naming the others', async () => {
    const run = await detect([fixture('test/fixtures/asterisk-csv/incoming-answered.csv')], { machineZone: 'America/New_York' });
    expect(normalizeOf(run.stdout).timezone).toBe(STOCKHOLM);
    expect(commentOf(run.stdout, 'timezone')).toMatch(/^TODO: check\. .*zones that fit: Europe\/Stockholm, /);
  });

  it('3CX writes wall-clock times with nothing to tell the zone by: the machine\'s zone, as a TODO', async () => {
    const run = await detect([fixture('test/fixtures/3cx/v16-office.csv')], { machineZone: 'Europe/Oslo' });
    expect(normalizeOf(run.stdout).timezone).toBe('Europe/Oslo');
    expect(commentOf(run.stdout, 'timezone')).toMatch(/^TODO: the PBX's zone, a guess/);
  });

  it('CUCM writes epoch seconds: the zone changes nothing, and says so', async () => {
    const run = await detect([fixture('test/fixtures/cucm/basic-calls.csv')], { machineZone: 'UTC' });
    expect(commentOf(run.stdout, 'timezone')).toMatch(/absolute \(CUCM writes epoch seconds, UTC\)/);
  });

  it('the extensions seen become internalNumbers and the owners template, with the names the PBX shows', async () => {
    const dir = freshDir('owners');
    await detect([fixture('test/fixtures/3cx/v16-office.csv')], { writeDir: dir });
    const yaml = readFileSync(path.join(dir, 'callbridge.yaml'), 'utf8');
    expect(normalizeOf(yaml).internalNumbers).toEqual(['^\\d{3}$']);
    const owners = readFileSync(path.join(dir, 'owners.csv'), 'utf8');
    expect(owners).toMatch(/^extension,email,name$/m);
    expect(owners).toMatch(/^# 101,,Anna Lindqvist$/m);
    expect(owners).toMatch(/^# 102,,Björn Ek$/m);
  });

  it('numbers with a country code set defaultCountry; trunk channels become trunkPatterns', async () => {
    const run = await detect([fixture('test/fixtures/cucm/basic-calls.csv')]);
    const normalize = normalizeOf(run.stdout);
    expect(normalize.defaultCountry).toBe('SE');
    expect(normalize.trunkPatterns).toEqual(['^PSTN_SIP_TRUNK$']);
    const asterisk = normalizeOf((await detect([fixture('test/fixtures/asterisk-csv/queue-ring-all.csv')])).stdout);
    expect(asterisk.trunkPatterns).toEqual(['^PJSIP/telia-']);
  });
});
