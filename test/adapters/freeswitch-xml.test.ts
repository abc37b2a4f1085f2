import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import adapter from '../../adapters/freeswitch-xml/index.js';
import type { AdapterInput, ParseItem } from '../../adapters/types.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { bodyInput, fileInput, fixtureDir, fixtureSourceOptions, parseItems } from './support.js';

const DIR = fixtureDir('freeswitch-xml');
const options = adapter.configSchema.parse(fixtureSourceOptions('freeswitch-xml'));

const items = (input: AdapterInput): Promise<ParseItem[]> => parseItems(adapter, input, options);
const file = (name: string) => fileInput(DIR, name);
const hook = (body: string | Buffer, contentType: string, query?: Record<string, string>) => bodyInput('hook:fsxml', body, query ? { contentType, query } : { contentType });

async function leg(input: AdapterInput): Promise<{ groupKey: string; leg: CallRecord }> {
  const list = await items(input);
  expect(list).toHaveLength(1);
  const item = list[0];
  if (item?.kind !== 'leg') throw new Error(`expected a leg, got ${JSON.stringify(item)}`);
  return item;
}

async function errorOf(input: AdapterInput): Promise<{ location: string; message: string }> {
  const list = await items(input);
  expect(list).toHaveLength(1);
  const item = list[0];
  if (item?.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(item)}`);
  return item;
}

const A = 'd7e1f3a5-6b8c-4d0e-9f2a-4c6e8a0b2d41';
const B = '2b4d6f80-9a1c-4e3b-8d5f-7a9c1e3b5d62';

/** A minimal mod_xml_cdr document around the given <variables> children. */
function xml(variables: string, extra = ''): string {
  return `<?xml version="1.0"?>\n<cdr core-uuid="c" switchname="fs1">\n  <variables>\n${variables}\n  </variables>${extra}\n</cdr>\n`;
}

describe('freeswitch-xml: mod_xml_cdr documents', () => {
  it('reads an A leg file (prefix-a-leg): parties, URL-decoded variables, entities in profiles, direction, stereo recording', async () => {
    const { groupKey, leg: a } = await leg(file(`a_${A}.cdr.xml`));
    expect(groupKey).toBe(A);
    expect(a.externalId).toBe(A);
    expect(a.from).toEqual({ number: '+46812223344', name: 'Svensson & Co', channel: 'sofia/external/+46812223344@192.0.2.10' });
    expect(a.to).toEqual({ number: '1001', name: 'Anna Berg', channel: 'sofia/internal/1001@10.20.0.51:5060' });
    expect(a.direction).toBe('incoming');
    expect(a.ownerExtension).toBe('1001');
    expect(a.startTime).toBe('2024-03-06T08:31:05.204Z');
    expect(a.endTime).toBe('2024-03-06T08:44:51.017Z');
    expect(a.talkSec).toBe(819);
    expect(a.outcome).toBe('answered');
    expect(a.recording).toEqual({ path: `./pbx.example.com/archive/2024/Mar/06/${A}.wav`, stereo: true });
  });

  it('groups the B leg file with its A leg and merges them around the A leg', async () => {
    const b = await leg(file(`${B}.cdr.xml`));
    expect(b.groupKey).toBe(A);
    expect(b.leg.recording).toBeUndefined();
    const a = await leg(file(`a_${A}.cdr.xml`));
    const call = adapter.merge([b.leg, a.leg]);
    expect(call.externalId).toBe(A);
    expect(call.legs).toBe(2);
    expect(call.location).toBe(a.leg.location);
    expect(call.startTime).toBe('2024-03-06T08:31:05.204Z');
    expect(call.recording).toEqual({ path: `./pbx.example.com/archive/2024/Mar/06/${A}.wav`, stereo: true });
    expect((call.raw as Array<{ leg: string }>).map((r) => r.leg)).toEqual(['B', 'A']);
  });

  it('decodes the three hook encodings: cdr=<url-encoded>, cdr=<raw xml> (plaintext) and text/xml', async () => {
    const encoded = readFileSync(path.join(DIR, 'outbound-answered.form'));
    for (const input of [file('outbound-answered.form'), hook(encoded, 'application/x-www-form-urlencoded', { uuid: '4a6c8e0f-1b3d-4f5a-9c7e-2d4f6b8a0c13' })]) {
      const { leg: call } = await leg(input);
      expect(call.externalId).toBe('4a6c8e0f-1b3d-4f5a-9c7e-2d4f6b8a0c13');
      expect(call.from).toEqual({ number: '1002', name: 'Johan Lind', channel: 'sofia/internal/1002@pbx.example.com' });
      expect(call.direction).toBe('outgoing');
      expect(call.recording).toEqual({ url: 'https://recordings.example.com/fs/2024/03/06/4a6c8e0f-1b3d-4f5a-9c7e-2d4f6b8a0c13.mp3' });
    }
    const plain = readFileSync(path.join(DIR, 'outbound-plaintext.form'), 'utf8');
    for (const input of [file('outbound-plaintext.form'), hook(plain, 'application/x-www-form-plaintext'), hook(plain.slice(4), 'text/xml')]) {
      const { leg: call } = await leg(input);
      expect(call.externalId).toBe('6e8a0c2d-3f5b-4a7c-8e9d-0b1c3d5e7f24');
      expect(call.recording).toEqual({ url: 'https://recordings.example.com/fs/2024/03/06/6e8a0c2d-3f5b-4a7c-8e9d-0b1c3d5e7f24.wav', stereo: false });
    }
  });

  it('an unanswered call: no-answer, its cause kept', async () => {
    const { leg: call } = await leg(file('unanswered.xml'));
    expect(call.outcome).toBe('no-answer');
    expect(call.disposition).toBe('NO_ANSWER');
    expect(call.answerTime).toBeUndefined();
    expect(call.to.number).toBe('1002');
  });

  it('decodes only the predefined entities and character references, after which variables are URL-decoded', async () => {
    const doc = xml(
      '<uuid>u-1</uuid><start_epoch>1709630043</start_epoch><caller_id_number>%2B46701234567</caller_id_number><caller_id_name>&#197;sa &amp; &#x00D6;rjan</caller_id_name><recording_file>/rec/a%20b.wav</recording_file>',
    );
    const { leg: call } = await leg(hook(doc, 'text/xml'));
    expect(call.from).toEqual({ number: '+46701234567', name: 'Åsa & Örjan' });
    expect(call.recording).toEqual({ path: '/rec/a b.wav' });
  });
});

describe('freeswitch-xml: DTDs and entities are refused, never expanded', () => {
  it('billion laughs: one error at the DOCTYPE line, no leg, no expansion', async () => {
    const error = await errorOf(file('billion-laughs.xml'));
    expect(error.location).toBe(`${path.join(DIR, 'billion-laughs.xml')}:2`);
    expect(error.message).toBe('XML with a <!DOCTYPE> declaration is refused: DTDs and entities are never processed');
  });

  it('an external entity: refused, and nothing of the file it names appears', async () => {
    const list = await items(file('external-entity.xml'));
    expect(list).toEqual([
      {
        kind: 'error',
        location: `${path.join(DIR, 'external-entity.xml')}:2`,
        message: 'XML with a <!DOCTYPE> declaration is refused: DTDs and entities are never processed',
      },
    ]);
    expect(JSON.stringify(list)).not.toMatch(/root:/);
  });

  it('an ENTITY declaration without a DOCTYPE, in any case, is refused too; an undeclared entity stays text', async () => {
    const sneaky = `<?xml version="1.0"?>\n<cdr>\n<!entity x SYSTEM "file:///etc/hostname">\n<variables><uuid>u</uuid></variables></cdr>`;
    const error = await errorOf(hook(sneaky, 'text/xml'));
    expect(error).toEqual({ kind: 'error', location: 'hook:fsxml:3', message: 'XML with a <!ENTITY> declaration is refused: DTDs and entities are never processed' });
    const { leg: call } = await leg(hook(xml('<uuid>u-2</uuid><start_epoch>1709630043</start_epoch><caller_id_name>&secret;</caller_id_name>'), 'text/xml'));
    expect(call.from.name).toBe('&secret;');
  });
});

describe('freeswitch-xml: bad input gives one located error', () => {
  it('a truncated document: located at its last line, saying which element was left open', async () => {
    const error = await errorOf(file('truncated.xml'));
    expect(error.location).toBe(`${path.join(DIR, 'truncated.xml')}:50`);
    expect(error.message).toMatch(/^invalid XML: the document ends inside <answer_uepoch> .*truncated\?$/);
  });

  it('binary garbage, a non-CDR root, a CDR without <variables>, a 10 MB body, a wrong ?uuid=', async () => {
    const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 131) % 256));
    expect((await errorOf({ name: 'g.xml', stream: Readable.from([garbage]) })).location).toMatch(/^g\.xml:\d+$/);
    expect(await errorOf(hook('<html><body>hi</body></html>', 'text/xml'))).toEqual({
      kind: 'error',
      location: 'hook:fsxml',
      message: 'not a mod_xml_cdr document: the root element is <html>, not <cdr>',
    });
    expect((await errorOf(hook('<cdr><channel_data/></cdr>', 'text/xml'))).message).toBe('not a mod_xml_cdr document: no <variables> element');
    const big = xml(`<uuid>u-3</uuid><huge>${'x'.repeat(10 * 1024 * 1024)}</huge>`);
    expect(await errorOf(hook(big, 'text/xml'))).toEqual({ kind: 'error', location: 'hook:fsxml', message: 'document larger than 4.0 MiB (maxDocumentBytes): refused' });
    const doc = xml('<uuid>u-4</uuid><start_epoch>1709630043</start_epoch>');
    expect((await errorOf(hook(doc, 'text/xml', { uuid: 'a_u-5' }))).message).toBe("the request's ?uuid=u-5 is not the CDR's uuid u-4");
    expect((await errorOf(hook(doc, 'application/json'))).message).toMatch(/^unsupported content type "application\/json"/);
  });
});

describe('freeswitch-xml: definition', () => {
  it('its example is valid options, and it has no decodeValues option (XML values are always URL-encoded)', () => {
    expect(adapter.configSchema.safeParse(adapter.example).success).toBe(true);
    const shape = (adapter.configSchema as unknown as { shape: Record<string, { description?: string }> }).shape;
    expect(Object.keys(shape)).not.toContain('decodeValues');
    for (const [key, field] of Object.entries(shape)) expect([key, field.description]).toEqual([key, expect.any(String)]);
  });
});
