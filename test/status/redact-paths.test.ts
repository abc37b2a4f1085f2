import { describe, expect, it } from '@jest/globals';
import { type RowState, rowStates } from '../../src/ledger/ledger.js';
import { redactPaths, redactStatusReport } from '../../src/status/redact-paths.js';
import type { StatusReport } from '../../src/status/report.js';

describe('redactPaths', () => {
  it.each([
    ['recording /var/spool/asterisk/monitor/x.wav not found', 'recording <path>/x.wav not found'],
    // Several paths, in brackets and lists.
    [
      'recording /mnt/nas/rec/2024/01/02/out-201-1704189600.1.wav is outside recordings.roots (/var/spool/asterisk/monitor, /srv/recordings)',
      'recording <path>/out-201-1704189600.1.wav is outside recordings.roots (<path>/monitor, <path>/recordings)',
    ],
    // Windows, both separators, directories with spaces.
    ['recording C:\\Program Files\\3CX Phone System\\Instance1\\Data\\Recordings\\[Anna]_201-0701234567_20240102.wav is missing', 'recording <path>/[Anna]_201-0701234567_20240102.wav is missing'],
    ['cannot read D:/cdr/exports/Master.csv', 'cannot read <path>/Master.csv'],
    ['share \\\\fileserver\\recordings\\2024\\x.wav gone', 'share <path>/x.wav gone'],
    // file: URLs, with or without a host.
    ['call_recording_url file:///var/spool/asterisk/monitor/x.wav is not http(s)', 'call_recording_url <path>/x.wav is not http(s)'],
    ['file://pbx01/export/rec/y.mp3', '<path>/y.mp3'],
    ['FILE:///C:/rec/z.wav', '<path>/z.wav'],
    // Sentence punctuation stays outside the name; quotes and `=` start a path.
    ['not found: /var/lib/callbridge/spool/x.wav.', 'not found: <path>/x.wav.'],
    ['open "/etc/callbridge/owners.csv": permission denied', 'open "<path>/owners.csv": permission denied'],
    ["path='/srv/a/b.wav'", "path='<path>/b.wav'"],
    ['recording=/srv/a/b.wav', 'recording=<path>/b.wav'],
    // A folder (trailing slash) keeps no name.
    ['drop folder /var/spool/asterisk/cdr-csv/ cannot be read', 'drop folder <path>/ cannot be read'],
    ['drop folder /var/spool/asterisk/cdr-csv cannot be read', 'drop folder <path>/cdr-csv cannot be read'],
  ])('%s', (input, expected) => {
    expect(redactPaths(input)).toBe(expected);
    // Nothing of a directory is left.
    expect(redactPaths(input)).not.toMatch(/\/(var|mnt|srv|etc|export)\/|Program Files|Instance1|fileserver|pbx01|[A-Z]:[\\/]/i);
  });

  it.each([
    'no owner for extension 1003',
    'HTTP 422: call_recording_url must answer 200',
    'recording URL https://pbx.example.com/rec/2024/x.wav answered 404',
    'retry 3/8 in 4 s; and/or 1/2',
    'moved to processed/2024-01-02/Master.csv',
    'gave up after 8 attempts: HTTP 503',
    'GET /healthz',
    'in flight when its process stopped: look it up before sending again',
    '',
  ])('leaves text without an absolute path as it is: %s', (text) => {
    expect(redactPaths(text)).toBe(text);
  });

  it('is pure: the same text always gives the same answer (no state kept between calls)', () => {
    const text = 'recording /a/b/c.wav and /d/e/f.wav';
    expect(redactPaths(text)).toBe('recording <path>/c.wav and <path>/f.wav');
    expect(redactPaths(text)).toBe(redactPaths(text));
  });

  it('redacts the reasons, the source problems and the submitter reason of a report, and changes nothing else', () => {
    const report: StatusReport = {
      version: '1.2.3',
      mode: 'live',
      apiBaseUrl: 'https://api.example.com/api/v2',
      ledger: {
        counts: { ...(Object.fromEntries(rowStates.map((s) => [s, 0])) as Record<RowState, number>), rejected: 1 },
        oldestDue: null,
        lastErrors: [{ externalId: 'c1', state: 'rejected', reason: 'recording /var/spool/x/y.wav not found', updatedAt: '2024-05-02T07:14:03.000Z' }],
      },
      submitter: { state: 'halted', reason: 'Dstny answered 401 (see /var/log/callbridge/x.log)', pausedUntil: null, queued: 0, inFlight: 0, sent: 3 },
      api: {
        pausedUntil: '2024-05-02T07:14:13.000Z',
        pauseReason: 'rate limited by Dstny (429); retry after 3 s',
        rate: { configuredPerSecond: 5, perSecond: 4, reason: 'lowered: Dstny answered 429 at 5/s; climbing back to just under that', refusedAt: 5 },
        rateLimited: 1,
        waiting: 0,
        running: 0,
      },
      quota: { used: 3, limit: 0, resetsAt: '2024-05-03T00:00:00.000Z' },
      sources: [
        { id: 'pbx', type: 'drop', adapter: 'asterisk-csv', running: false, lastProblem: 'folder /var/spool/asterisk/cdr is missing' },
        { id: 'ok', type: 'tail', adapter: 'asterisk-csv', running: true, lastProblem: null },
      ],
    };
    const before = structuredClone(report);
    const shown = redactStatusReport(report);
    expect(report).toEqual(before); // the input is not changed
    expect(shown.ledger.lastErrors).toEqual([{ externalId: 'c1', state: 'rejected', reason: 'recording <path>/y.wav not found', updatedAt: '2024-05-02T07:14:03.000Z' }]);
    expect(shown.sources.map((s) => s.lastProblem)).toEqual(['folder <path>/cdr is missing', null]);
    expect(shown.submitter?.reason).toBe('Dstny answered 401 (see <path>/x.log)');
    expect({ ...shown, ledger: { ...shown.ledger, lastErrors: [] }, sources: [], submitter: null }).toEqual({ ...before, ledger: { ...before.ledger, lastErrors: [] }, sources: [], submitter: null });
  });
});
