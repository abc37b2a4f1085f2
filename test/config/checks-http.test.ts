import { describe, expect, it } from '@jest/globals';
import { checkAdminExposure } from '../../src/config/checks-http.js';
import { validateConfig } from '../../src/config/load.js';

const http = (section: Record<string, unknown>) => validateConfig({ http: section });

describe('check-config: who can read the status page, /status and /metrics', () => {
  it('warns when the bridge listens beyond this host without http.admin, saying what the others get and what to set', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20']) {
      expect(checkAdminExposure(http({ host }))).toEqual([
        {
          severity: 'warning',
          key: 'http.admin',
          message: expect.stringMatching(new RegExp(`^http\\.host ${host.replaceAll('.', '\\.')} lets other hosts connect, and http\\.admin is not set: .* refuse the rest \\(403\\)\\. To read them from elsewhere, set http\\.admin\\.token`)),
        },
      ]);
    }
  });

  it('is quiet on loopback, or with a token or basic auth set', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) expect(checkAdminExposure(http({ host }))).toEqual([]);
    expect(checkAdminExposure(http({ host: '0.0.0.0', admin: { token: 'an-admin-token-0123456789' } }))).toEqual([]);
    expect(checkAdminExposure(http({ host: '0.0.0.0', admin: { username: 'ops', password: 'long-enough-password' } }))).toEqual([]);
  });
});
