import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyRecordingToken } from '../../src/recordings/token.js';
import { PARSE_PLACEHOLDER_SECRET, runParse } from '../../src/cli/parse.js';
import { writeWav } from './audio-files.js';
import { REPO_ROOT } from './fixture-cases.js';

/** `callbridge parse` (runParse) on real files in a temp folder: exit codes, messages, and what it prints. */

let dir: string;
let rec: string;
const files = { config: '', calls: '', future: '', badConfig: '', badRegex: '' };

// Asterisk cdr_csv rows (21 columns), Stockholm wall clock.
const incoming = (id: string, ext: string, userfield: string, day = '2024-05-02') =>
  `"","0701234567","${ext}","from-trunk","""Lars Berg"" <0701234567>","PJSIP/telia-1","PJSIP/${ext}-2","Dial","PJSIP/${ext},30,tT","${day} 09:14:03","${day} 09:14:09","${day} 09:21:47",464,458,"ANSWERED","DOCUMENTATION","${id}","${userfield}","","${id}",1\n`;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cb-parse-'));
  rec = path.join(dir, 'monitor');
  mkdirSync(rec);
  writeWav(path.join(rec, '1714634043.1.wav'), 2);
  files.config = path.join(dir, 'callbridge.yaml');
  writeFileSync(
    files.config,
    [
      'sources:',
      '  - { id: pbx, type: drop, path: ., adapter: asterisk-csv, options: { userfieldIsRecording: true } }',
      'recordings:',
      `  roots: [${JSON.stringify(rec)}]`,
      '  linkTtlHours: 24',
      'normalize:',
      '  timezone: Europe/Stockholm',
      "  internalNumbers: ['^\\d{3}$']",
      "  trunkPatterns: ['^PJSIP/telia-']",
      '  owners:',
      '    csv: owners.csv',
      '    fromDstnyUsers: true',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'owners.csv'), 'extension,email,name\n201,anna@example.se,Anna Lindqvist\n');
  files.calls = path.join(dir, 'Master.csv');
  writeFileSync(
    files.calls,
    incoming('1714634043.1', '201', path.join(rec, '1714634043.1.wav')) + // local stereo recording
      'garbage line\n' +
      incoming('1714634043.2', '202', 'https://rec.example.se/2.wav') + // 202 has no owner
      incoming('1714634043.3', '201', path.join(rec, 'never-written.wav')), // the file never came
  );
  files.future = path.join(dir, 'future.csv');
  writeFileSync(files.future, incoming('2000000000.9', '201', path.join(rec, 'later.wav'), '2099-01-01'));
  files.badConfig = path.join(dir, 'bad.yaml');
  writeFileSync(files.badConfig, 'normalize:\n  minDurationSec: -1\n');
  files.badRegex = path.join(dir, 'bad-regex.yaml');
  writeFileSync(files.badRegex, "normalize:\n  internalNumbers: ['([']\n");
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function parse(args: { adapterId?: string | null; sourceId?: string; configFile?: string; files: string[] }) {
  let out = '';
  let err = '';
  const stdout = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const stderr = { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream;
  // null: no --adapter at all (the config's sources name it).
  const adapterId = args.adapterId === null ? undefined : (args.adapterId ?? 'asterisk-csv');
  const code = await runParse({ adapterId, sourceId: args.sourceId, configFile: args.configFile, files: args.files, stdout, stderr });
  return { code, lines: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), stdout: out, stderr: err };
}

/** `callbridge parse ARGS` as a process of its own (from any working folder: tsx and main.ts by absolute path). */
function cliParse(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const tsx = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return promisify(execFile)(process.execPath, ['--import', tsx, path.join(REPO_ROOT, 'src', 'cli', 'main.ts'), 'parse', ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    timeout: 60_000,
    ...(opts.env ? { env: opts.env } : {}),
  });
}

describe('runParse', () => {
  it('prints one NDJSON line per call: payloads, located errors, rejected and skipped calls; no network', async () => {
    const run = await parse({ configFile: files.config, files: [files.calls] });
    expect(run.code).toBe(0);
    const [error, first, second, third] = run.lines;
    expect(error).toEqual({ error: 'expected 16 to 21 (cdr_csv layout) columns, got 1', source: `${files.calls}:2`, state: 'rejected' });
    expect(first).toEqual({
      payload: {
        call_external_id: '1714634043.1',
        call_start_time: '2024-05-02T07:14:03Z',
        call_end_time: '2024-05-02T07:21:47Z',
        call_duration: 458,
        call_recording_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:8080\/recordings\/[\w-]+\.[\w-]+$/),
        call_is_stereo: true,
        call_direction: 'incoming',
        call_outcome: 'Answered',
        call_participant_channel: 'right',
        owner_email: 'anna@example.se',
        owner_name: 'Anna Lindqvist',
        participant_first_name: 'Lars',
        participant_last_name: 'Berg',
        participant_phone_number: '+46701234567',
      },
    });
    // fromDstnyUsers is on, but parse mode never asks Dstny: the CSV is the directory.
    expect(second).toEqual({ error: 'no owner for extension 202', source: `${files.calls}:3`, state: 'rejected' });
    expect(third).toEqual({
      error: 'recording /'.concat(path.join(rec, 'never-written.wav').slice(1), ' is still not there 30 minutes after the call ended'),
      source: `${files.calls}:4`,
      state: 'rejected',
    });
    expect(run.lines).toHaveLength(4);
    expect(run.stderr).toContain('the Dstny users directory is not consulted in parse mode');
    expect(run.stderr).toContain('1 link(s) to local recordings are signed with a placeholder secret');
    // Once, at the end: what it printed.
    expect(run.stderr.split('\n').filter((l) => l.includes(' calls ('))).toEqual([
      'callbridge parse: 3 calls (1 payload, 0 skipped, 2 rejected), 0 other records skipped, 1 input error',
    ]);
  });

  it('no placeholder note when no link was signed for a local recording', async () => {
    const remote = path.join(dir, 'remote.csv');
    writeFileSync(remote, incoming('1714634043.2', '201', 'https://rec.example.se/2.wav'));
    const run = await parse({ configFile: files.config, files: [remote] });
    expect(run.lines).toEqual([{ payload: expect.objectContaining({ call_recording_url: 'https://rec.example.se/2.wav' }) }]);
    expect(run.stderr).not.toContain('placeholder');
    expect(run.stderr).toContain('callbridge parse: 1 call (1 payload, 0 skipped, 0 rejected), 0 other records skipped, 0 input errors\n');
  });

  it('the files are one input, as a drop folder sees them: a call in two files is one line, its latest version', async () => {
    const first = path.join(dir, 'first.csv');
    const again = path.join(dir, 'again.csv');
    writeFileSync(first, incoming('1714634043.2', '201', 'https://rec.example.se/2.wav'));
    // The PBX wrote the call again, corrected (another recording): the bridge would send the corrected one, once.
    writeFileSync(again, incoming('1714634043.2', '201', 'https://rec.example.se/2-fixed.wav') + incoming('1714634043.5', '201', 'https://rec.example.se/5.wav'));
    const run = await parse({ configFile: files.config, files: [first, again] });
    expect(run.code).toBe(0);
    expect(run.lines.map((l) => (l.payload as { call_external_id: string; call_recording_url: string }).call_recording_url)).toEqual([
      'https://rec.example.se/2-fixed.wav',
      'https://rec.example.se/5.wav',
    ]);
  });

  it('legs of one call in separate files are one call (Twilio callbacks saved one per file), with every skip counted by reason', async () => {
    const twilioConfig = path.join(dir, 'twilio.yaml');
    writeFileSync(
      twilioConfig,
      [
        'sources:',
        "  - { id: tw, type: drop, path: ., adapter: twilio, options: { recordingExtension: mp3 } }",
        'normalize:',
        '  timezone: Europe/Stockholm',
        "  internalNumbers: ['^\\+4685000100\\d$']",
        "  owners: { map: { '+46850001000': support@example.com } }",
        '',
      ].join('\n'),
    );
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const call = { AccountSid: 'AC1', CallSid: 'CA100', From: '+46701234567', To: '+46850001000', Direction: 'inbound', ApiVersion: '2010-04-01' };
    const parts = {
      ringing: form({ ...call, CallStatus: 'ringing', Timestamp: 'Thu, 02 May 2024 07:14:03 +0000', SequenceNumber: '0', CallbackSource: 'call-progress-events' }),
      completed: form({ ...call, CallStatus: 'completed', CallDuration: '464', Timestamp: 'Thu, 02 May 2024 07:21:47 +0000', SequenceNumber: '3', CallbackSource: 'call-progress-events' }),
      recording: form({
        AccountSid: 'AC1',
        CallSid: 'CA100',
        RecordingSid: 'RE100',
        RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE100',
        RecordingStatus: 'completed',
        RecordingDuration: '458',
        RecordingChannels: '1',
        RecordingStartTime: 'Thu, 02 May 2024 07:14:09 +0000',
        RecordingSource: 'DialVerb',
      }),
    };
    const names = Object.keys(parts) as Array<keyof typeof parts>;
    for (const name of names) writeFileSync(path.join(dir, `${name}.form`), parts[name]);
    const run = await parse({ adapterId: null, configFile: twilioConfig, files: names.map((n) => path.join(dir, `${n}.form`)) });
    expect(run.code).toBe(0);
    const payloads = run.lines.filter((l) => l.payload).map((l) => l.payload as Record<string, unknown>);
    expect(payloads).toEqual([
      expect.objectContaining({ call_external_id: 'CA100', call_recording_url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE100.mp3', owner_email: 'support@example.com' }),
    ]);
    // The ringing callback is not a call: one line saying so, counted apart from the calls.
    expect(run.lines.filter((l) => !l.payload)).toEqual([{ error: expect.stringContaining('not finished yet'), source: expect.stringContaining('ringing.form'), state: 'skipped' }]);
    expect(run.stderr).toContain('callbridge parse: 1 call (1 payload, 0 skipped, 0 rejected), 1 other record skipped, 0 input errors; skipped: call … not finished yet (1)\n');
  });

  it('leaves nothing behind: its ledger lives in a temporary folder that is removed, also when a file cannot be read', async () => {
    // A process of its own: TMPDIR is read by node's os module, which a test's copy of process.env does not reach.
    const tmp = path.join(dir, 'tmp');
    mkdirSync(tmp);
    const run = (file: string) => cliParse(['--config', files.config, file], { env: { ...process.env, TMPDIR: tmp } });
    expect((await run(files.calls)).stdout.split('\n').filter(Boolean)).toHaveLength(4);
    await expect(run(path.join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 1 });
    // (tsx keeps its compile cache there too: that one is not ours.)
    expect(readdirSync(tmp).filter((name) => !name.startsWith('tsx-'))).toEqual([]);
  }, 90_000);

  it('the local link is stable: signed with the labelled placeholder, expiring link-TTL after the call ended', async () => {
    const a = await parse({ configFile: files.config, files: [files.calls] });
    const b = await parse({ configFile: files.config, files: [files.calls] });
    expect(a.stdout).toBe(b.stdout);
    const url = (a.lines[1]?.payload as { call_recording_url: string }).call_recording_url;
    const token = url.split('/').pop() as string;
    const end = Date.parse('2024-05-02T07:21:47Z');
    expect(verifyRecordingToken(token, PARSE_PLACEHOLDER_SECRET, end)).toEqual({ ok: true, claim: { id: '1714634043.1', exp: end / 1000 + 24 * 3600 } });
  });

  it('a recording the bridge would wait for is reported as rejected, saying why', async () => {
    const run = await parse({ configFile: files.config, files: [files.future] });
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      {
        error: `recording ${path.join(rec, 'later.wav')} is not there yet (waiting until 2099-01-01T08:51:47.000Z); not sent in parse mode (the bridge would hold it)`,
        source: `${files.future}:1`,
        state: 'rejected',
      },
    ]);
  });

  it('an unreadable file: exit 1 and a clear message, the other files are still parsed', async () => {
    const run = await parse({ configFile: files.config, files: [path.join(dir, 'missing.csv'), dir, files.future] });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`callbridge parse: cannot read ${path.join(dir, 'missing.csv')}: no such file`);
    expect(run.stderr).toContain(`callbridge parse: cannot read ${dir}: not a regular file`);
    expect(run.lines).toHaveLength(1);
  });

  it('an unknown adapter, a bad config, no files: exit 2 with the reason', async () => {
    const unknown = await parse({ adapterId: 'avaya', files: [files.calls] });
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/^callbridge parse: unknown adapter "avaya"; known adapters: asterisk-csv, /);
    const bad = await parse({ configFile: files.badConfig, files: [files.calls] });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('normalize.minDurationSec: must be 0 or more, got -1');
    const badRegex = await parse({ configFile: files.badRegex, files: [files.calls] });
    expect(badRegex.code).toBe(2);
    expect(badRegex.stderr).toContain('normalize.internalNumbers[0]: not a valid regular expression');
    const missing = await parse({ configFile: path.join(dir, 'nope.yaml'), files: [files.calls] });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml');
    expect((await parse({ configFile: files.config, files: [] })).code).toBe(2);
  });

  it('without --config, the built-in defaults apply', async () => {
    const run = await parse({ files: [files.calls] });
    expect(run.code).toBe(0);
    // Defaults: a userfield naming an audio file is the recording (no call is skipped for having none), and no
    // owner is mapped, so nothing is sent and each call says why.
    expect(run.lines.filter((l) => l.state === 'skipped')).toEqual([]);
    expect(run.lines.filter((l) => l.state === 'rejected').map((l) => l.error)).toEqual([
      'expected 16 to 21 (cdr_csv layout) columns, got 1',
      'no owner for extension 201',
      'no owner for extension 202',
      'no owner for extension 201',
    ]);
  });

  it('without --adapter, the adapter (and its options) come from the config\'s source', async () => {
    const withAdapter = await parse({ configFile: files.config, files: [files.calls] });
    const without = await parse({ adapterId: null, configFile: files.config, files: [files.calls] });
    expect(without.code).toBe(0);
    expect(without.stderr).not.toContain('--adapter');
    expect(without.stdout).toBe(withAdapter.stdout);
  });

  it('when the sources use several adapters, --source picks one (its options and time zone apply); without it, the sources are listed', async () => {
    const two = path.join(dir, 'two-sources.yaml');
    writeFileSync(
      two,
      [
        'sources:',
        '  - { id: pbx, type: drop, path: ., adapter: asterisk-csv, options: { userfieldIsRecording: true } }',
        '  - { id: utc-pbx, type: drop, path: ./utc, adapter: asterisk-csv, timezone: UTC, options: { userfieldIsRecording: true } }',
        '  - { id: fs, type: hook, adapter: freeswitch-json, auth: { type: bearer, token: t0k3n-for-the-test } }',
        'recordings:',
        `  roots: [${JSON.stringify(rec)}]`,
        'normalize:',
        '  timezone: Europe/Stockholm',
        '  owners: { csv: owners.csv }',
        '',
      ].join('\n'),
    );
    const unsure = await parse({ adapterId: null, configFile: two, files: [files.calls] });
    expect(unsure).toMatchObject({ code: 2, stdout: '' });
    expect(unsure.stderr).toContain(`callbridge parse: the sources of ${two} use different adapters: pbx (asterisk-csv), utc-pbx (asterisk-csv), fs (freeswitch-json); say which with --source ID (e.g. --source pbx) or --adapter ID`);

    const start = (run: Awaited<ReturnType<typeof parse>>) => (run.lines.find((l) => l.payload)?.payload as { call_start_time: string }).call_start_time;
    const stockholm = await parse({ adapterId: null, sourceId: 'pbx', configFile: two, files: [files.calls] });
    expect(stockholm.code).toBe(0);
    expect(start(stockholm)).toBe('2024-05-02T07:14:03Z');
    const utc = await parse({ adapterId: null, sourceId: 'utc-pbx', configFile: two, files: [files.calls] });
    expect(start(utc)).toBe('2024-05-02T09:14:03Z');

    const unknownSource = await parse({ adapterId: null, sourceId: 'nope', configFile: two, files: [files.calls] });
    expect(unknownSource.code).toBe(2);
    expect(unknownSource.stderr).toContain(`no source "nope" in ${two}: its sources are pbx (asterisk-csv), utc-pbx (asterisk-csv), fs (freeswitch-json)`);
    const mismatch = await parse({ adapterId: 'freeswitch-json', sourceId: 'pbx', configFile: two, files: [files.calls] });
    expect(mismatch.stderr).toContain('source "pbx" uses adapter "asterisk-csv", not "freeswitch-json"');
  });

  it('on the command line, --config defaults to the default config file and --adapter to its source\'s', async () => {
    // A working folder with config/callbridge.yaml, as `npm start` uses: `callbridge parse FILE` alone reads it.
    const cwd = path.join(dir, 'workdir');
    mkdirSync(path.join(cwd, 'config'), { recursive: true });
    writeFileSync(
      path.join(cwd, 'config', 'callbridge.yaml'),
      readFileSync(files.config, 'utf8').replace('csv: owners.csv', `csv: ${JSON.stringify(path.join(dir, 'owners.csv'))}`),
    );
    const { stdout } = await cliParse([files.calls], { cwd });
    const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { payload?: { owner_email: string; call_is_stereo: boolean } });
    expect(lines).toHaveLength(4);
    expect(lines[1]?.payload).toMatchObject({ owner_email: 'anna@example.se', call_is_stereo: true });
  }, 90_000);

  it('is wired into the command line: callbridge parse --adapter ID --config FILE FILE...', async () => {
    const { stdout } = await cliParse(['--adapter', 'asterisk-csv', '--config', files.config, files.calls]);
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(4);
    const failed = await cliParse(['--adapter', 'nope', files.calls]).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown adapter "nope"') });
  }, 90_000);
});
