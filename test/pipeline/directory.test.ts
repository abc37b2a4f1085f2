import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ConfigError } from '../../src/errors.js';
import { PhoneIndex, loadContactsCsv, loadOwnersCsv, ownersFromDstnyUsers } from '../../src/pipeline/directory.js';
import { OwnerDirectory } from '../../src/pipeline/owners.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cb-directory-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('owners CSV', () => {
  it('reads extension,email[,name] with or without a header', () => {
    const withHeader = file('owners1.csv', 'extension,email,name\n1001,alice@example.com,Alice Andersson\n"1002", bob@example.com\n\n# a comment\n');
    expect(loadOwnersCsv(withHeader)).toEqual([
      { extension: '1001', email: 'alice@example.com', name: 'Alice Andersson' },
      { extension: '1002', email: 'bob@example.com' },
    ]);
    const noHeader = file('owners2.csv', '\ufeff1003,carol@example.com\n');
    expect(loadOwnersCsv(noHeader)).toEqual([{ extension: '1003', email: 'carol@example.com' }]);
  });

  it('lists every bad line as FILE:LINE', () => {
    const bad = file('owners3.csv', 'extension,email\n1001,alice@example.com\n1002,not-an-email\n1003\n');
    let error: unknown;
    try {
      loadOwnersCsv(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([`${bad}:3: "not-an-email" is not an email address`, `${bad}:4: expected extension,email[,name]`]);
  });

  it('names a missing file', () => {
    expect(() => loadOwnersCsv(path.join(dir, 'nope.csv'))).toThrow(/cannot read .*nope\.csv/);
  });
});

describe('contacts CSV', () => {
  it('reads the named columns in any order', () => {
    const p = file(
      'contacts.csv',
      'Company,number,first_name,last_name,email,external_id\nClient AB,070-987 65 43,Klara,Kund,klara@client.example,crm-77\n,+12015550123,,,,\n',
    );
    expect(loadContactsCsv(p)).toEqual([
      { number: '070-987 65 43', firstName: 'Klara', lastName: 'Kund', company: 'Client AB', email: 'klara@client.example', externalId: 'crm-77' },
      { number: '+12015550123' },
    ]);
  });

  it('needs a number column and valid emails', () => {
    expect(() => loadContactsCsv(file('c2.csv', 'name,phone\nx,1\n'))).toThrow(/must name a "number" column/);
    expect(() => loadContactsCsv(file('c3.csv', 'number,email\n0701234567,nope\n'))).toThrow(/c3\.csv:2: "nope" is not an email address/);
  });
});

describe('PhoneIndex', () => {
  it('finds a number under any spelling', () => {
    const index = new PhoneIndex<string>('SE');
    index.add('070-123 45 67', 'mobile');
    index.add('1003', 'extension');
    expect(index.get('+46701234567')).toBe('mobile');
    expect(index.get('0046701234567')).toBe('mobile');
    expect(index.get('0701234567')).toBe('mobile');
    expect(index.get('1003')).toBe('extension');
    expect(index.get(' 1003 ')).toBe('extension');
    expect(index.get('1004')).toBeUndefined();
    expect(index.get('+46701234568')).toBeUndefined();
  });
});

describe('Dstny users → owners', () => {
  it('maps mobile_number (string or bare number) to email and name', () => {
    expect(
      ownersFromDstnyUsers(
        [
          { id: 1, email: 'yolo@yolo.com', first_name: 'Joe', last_name: 'Doe', mobile_number: 46701234567 },
          { id: 2, email: 'ann@example.com', first_name: 'Ann', last_name: '', mobile_number: '070-765 43 21' },
          { id: 3, email: 'no-number@example.com' },
          { id: 4, mobile_number: '0700000000' },
          { id: 5, email: 'broken', mobile_number: '0701111111' },
          null,
          'junk',
        ],
        'SE',
      ),
    ).toEqual([
      { number: '46701234567', email: 'yolo@yolo.com', name: 'Joe Doe', phone: '+46701234567' },
      { number: '070-765 43 21', email: 'ann@example.com', name: 'Ann', phone: '+46707654321' },
    ]);
  });
});

describe('OwnerDirectory', () => {
  const users = [{ email: 'mobile.user@example.com', first_name: 'Mo', last_name: 'Bile', mobile_number: '+46701234567' }];

  it('map wins over CSV, CSV over Dstny', async () => {
    const fetchUsers = jest.fn(async () => [...users, { email: 'dstny@example.com', mobile_number: '1001' }]);
    const owners = new OwnerDirectory({
      defaultCountry: 'SE',
      map: { '1001': 'map@example.com' },
      csv: [
        { extension: '1001', email: 'csv@example.com' },
        { extension: '1002', email: 'csv2@example.com', name: 'Csv Two' },
      ],
      fetchUsers,
    });
    expect(await owners.lookup('1001')).toEqual({ kind: 'found', owner: { email: 'map@example.com' } });
    expect(await owners.lookup('1002')).toEqual({ kind: 'found', owner: { email: 'csv2@example.com', name: 'Csv Two' } });
    expect(fetchUsers).not.toHaveBeenCalled();
    expect(await owners.lookup('0701234567')).toEqual({
      kind: 'found',
      owner: { email: 'mobile.user@example.com', name: 'Mo Bile', phone: '+46701234567' },
    });
    expect(await owners.lookup('1003')).toEqual({ kind: 'missing' });
    expect(await owners.lookup(undefined)).toEqual({ kind: 'missing' });
  });

  it('fetches once while fresh, again after refreshMinutes, one fetch at a time', async () => {
    let list: unknown[] = users;
    const fetchUsers = jest.fn(async () => list);
    const owners = new OwnerDirectory({ defaultCountry: 'SE', fetchUsers, refreshMinutes: 10 });
    const t0 = 1_700_000_000_000;
    const both = await Promise.all([owners.lookup('1009', t0), owners.lookup('1010', t0)]);
    expect(both).toEqual([{ kind: 'missing' }, { kind: 'missing' }]);
    expect(fetchUsers).toHaveBeenCalledTimes(1);
    // Unmapped extensions do not hammer the API while the list is fresh.
    await owners.lookup('1009', t0 + 9 * 60_000);
    expect(fetchUsers).toHaveBeenCalledTimes(1);
    list = [...users, { email: 'new.hire@example.com', mobile_number: '1009' }];
    expect(await owners.lookup('1009', t0 + 10 * 60_000)).toEqual({ kind: 'found', owner: { email: 'new.hire@example.com' } });
    expect(fetchUsers).toHaveBeenCalledTimes(2);
  });

  it('a directory that cannot be read holds (not rejects), backs off, and keeps the last good list', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const fetchUsers = jest.fn(async () => {
      if (fail) throw new Error('HTTP 503');
      return users;
    });
    const owners = new OwnerDirectory({ defaultCountry: 'SE', fetchUsers, refreshMinutes: 1, retryAfterFailureMs: 30_000, onRefreshError: (e) => errors.push(e) });
    const t0 = 1_700_000_000_000;
    expect(await owners.lookup('+46701234567', t0)).toEqual({
      kind: 'unavailable',
      reason: 'owner directory (Dstny users) unavailable: HTTP 503',
      retryAt: t0 + 30_000,
    });
    await owners.lookup('+46701234567', t0 + 10_000);
    expect(fetchUsers).toHaveBeenCalledTimes(1); // backing off
    fail = false;
    expect((await owners.lookup('+46701234567', t0 + 30_000)).kind).toBe('found');
    fail = true;
    // Refresh due and failing: the last good list still answers.
    expect((await owners.lookup('+46701234567', t0 + 200_000)).kind).toBe('found');
    expect(fetchUsers).toHaveBeenCalledTimes(3);
    expect(errors).toHaveLength(2);
  });

  it('with no Dstny directory, an unmapped extension is simply missing', async () => {
    const owners = new OwnerDirectory({ defaultCountry: 'SE', map: { '1001': 'a@example.com' } });
    expect(await owners.lookup('1003')).toEqual({ kind: 'missing' });
  });
});
