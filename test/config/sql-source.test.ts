import { describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/load.js';
import { configProblems } from './support.js';

const base = { id: 'freepbx', type: 'sql', url: 'mysql://callbridge:S3cret-pw-1@10.0.0.5:3306/asteriskcdrdb', profile: 'freepbx' };

describe('an sql source in the configuration', () => {
  it("takes the profile's adapter, table and recording folder, under what the source sets", () => {
    const config = validateConfig({ sources: [{ ...base, options: { recordingPathMap: [{ from: '/var/spool/asterisk/monitor', to: '/mnt/monitor' }] } }] });
    const source = config.sources[0]!;
    expect(source).toMatchObject({ type: 'sql', adapter: 'asterisk-csv', overlapSec: 300, batchRows: 1000, pollMs: 5000 });
    expect(source.options).toMatchObject({ recordingDir: '/var/spool/asterisk/monitor', recordingPathMap: [{ from: '/var/spool/asterisk/monitor', to: '/mnt/monitor' }] });
  });

  it('names a url it cannot use without showing it, an unknown profile, and an adapter that reads no rows', () => {
    const problems = configProblems({
      sources: [
        { ...base, id: 'a', url: 'postgresql:/callbridge:S3cret-pw-1@10.0.0.5' },
        { ...base, id: 'b', profile: 'freepbz' },
        { ...base, id: 'c', adapter: 'twilio' },
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^sources\[0\]\.url: use mysql:\/\/USER:PASSWORD@HOST:PORT\/DATABASE/),
      expect.stringMatching(/^sources\[1\]\.profile: must be one of freepbx, .*, got "freepbz"; did you mean freepbx\?$/),
      `sources[2].adapter: adapter "twilio" cannot read table rows; leave adapter out to use the profile's`,
    ]);
    expect(problems.join('\n')).not.toContain('S3cret-pw-1');
  });
});
