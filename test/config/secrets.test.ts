import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.js';
import { secretNameTest, secretPaths, secretValues } from '../../src/config/secrets.js';

describe('secret marks', () => {
  it('mark exactly the credentials of the configuration', () => {
    expect(secretPaths(configSchema).map((p) => p.join('.'))).toEqual([
      'dstny.token',
      'ledger.url',
      'sources.*.url',
      'sources.*.auth',
      'sources.*.auth.token',
      'sources.*.auth.password',
      'sources.*.auth.secret',
      'sources.*.auth.authToken',
      'http.admin.token',
      'http.admin.password',
      'recordings.signingSecret',
      'webhook.secret',
      'webhook.signingSecret',
      'emulator.token',
      'emulator.webhooks.*.signingSecret',
    ]);
  });

  it('survive wrappers and descriptions, and give the string values at their paths', () => {
    const schema = z.object({
      key: z.string().min(3).meta({ secret: true }).optional().describe('a key'),
      list: z.array(z.object({ pw: z.string().meta({ secret: true }) })),
      map: z.record(z.string(), z.string().meta({ secret: true })),
      plain: z.string(),
    });
    expect(secretValues(schema, { key: 'k1', list: [{ pw: 'p1' }, { pw: 2 }], map: { a: 'm1' }, plain: 'not secret' })).toEqual(['k1', 'p1', 'm1']);
    expect(secretValues(schema, { list: 'oops' })).toEqual([]);
  });

  it('name secrets by the marked names, also as a suffix, whatever the case', () => {
    const isSecret = secretNameTest(configSchema);
    for (const key of ['token', 'apiToken', 'secret', 'signingSecret', 'PASSWORD', 'hookPassword', 'authToken', 'auth']) expect({ key, secret: isSecret(key) }).toEqual({ key, secret: true });
    for (const key of ['type', 'username', 'tokens', 'id']) expect({ key, secret: isSecret(key) }).toEqual({ key, secret: false });
    // A database url carries its password: secret as that key, not every key ending in "url".
    expect([isSecret('url'), isSecret('URL'), isSecret('publicBaseUrl'), isSecret('baseUrl')]).toEqual([true, true, false, false]);
  });
});
