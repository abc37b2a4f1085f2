import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { CallRecord } from '../../adapters/call-record.js';
import adapter from '../../adapters/freeswitch-json/index.js';
import type { ParseItem } from '../../adapters/types.js';

const options = adapter.configSchema.parse({});
const FIXTURES = path.resolve('test/fixtures');

/** The 50 documents of v_xml_cdr_json.sql by leg uuid: PHP's json_encode() of each mod_xml_cdr file, as FusionPBX stores them. */
const phpDocuments = new Map(
  [...readFileSync(path.join(FIXTURES, 'fusionpbx/v_xml_cdr_json.sql'), 'utf8').matchAll(/^\('[^']+', '([^']+)', '[^']+',\n\$cdr\$(.*)\$cdr\$::jsonb,$/gm)].map((m) => [m[1] as string, m[2] as string]),
);

type Values = Record<string, string | null>;

async function parseRows(...rows: Values[]): Promise<ParseItem[]> {
  const items: ParseItem[] = [];
  const input = { name: 'fusionpbx.v_xml_cdr', rows: rows.map((values, i) => ({ location: `fusionpbx.v_xml_cdr:row${i + 1}`, values })) };
  for await (const item of adapter.parseRows!(input, options)) items.push(item);
  return items;
}

function legOf(item: ParseItem | undefined): { groupKey: string; leg: CallRecord } {
  if (item?.kind !== 'leg') throw new Error(`expected a leg, got ${JSON.stringify(item)}`);
  return item;
}

/** A leg as the call record sees it, without the document it was read from. */
const withoutDocument = (leg: CallRecord) => ({ ...leg, raw: { ...(leg.raw as object), cdr: undefined } });

describe("freeswitch-json reading FusionPBX's v_xml_cdr rows", () => {
  it("reads PHP's json_encode() of a mod_xml_cdr file as that file's own JSON twin", async () => {
    expect(phpDocuments.size).toBe(50);
    for (const file of ['a_a6caeed6-e329-44d7-8a05-9061ff1d8200', 'cfb93277-4d46-4fa7-be40-75f5c7c87897', '25de33b9-6465-455e-8f9a-99ba30412bb1']) {
      const uuid = file.replace(/^a_/, '');
      const leg = file.startsWith('a_') ? 'a' : 'b';
      const json = readFileSync(path.join(FIXTURES, 'freeswitch-real/json_cdr', `${file}.cdr.json`), 'utf8');
      const [fromPhp, fromJson] = await parseRows({ xml_cdr_uuid: uuid, leg, 'v_xml_cdr_json.json': phpDocuments.get(uuid)! }, { xml_cdr_uuid: uuid, leg, json });
      expect(withoutDocument(legOf(fromPhp).leg)).toEqual({ ...withoutDocument(legOf(fromJson).leg), location: 'fusionpbx.v_xml_cdr:row1' });
      expect(legOf(fromPhp).groupKey).toBe(legOf(fromJson).groupKey);
    }
  });

  it('takes the json column over the xml column over v_xml_cdr_json, and the columns only when none holds the CDR', async () => {
    const uuid = 'a6caeed6-e329-44d7-8a05-9061ff1d8200';
    const kept = phpDocuments.get(uuid)!;
    const [both] = await parseRows({ xml_cdr_uuid: uuid, leg: 'a', json: kept, xml: '<cdr>not read</cdr>', 'v_xml_cdr_json.json': '{not read' });
    expect((legOf(both).leg.raw as { cdr: Record<string, unknown> }).cdr['@attributes']).toMatchObject({ switchname: 'vm' });
    const [columns] = await parseRows({ xml_cdr_uuid: uuid, leg: 'a', json: null, xml: '  ', start_epoch: '1796590159', end_epoch: '1796590172' });
    expect((legOf(columns).leg.raw as { cdr: unknown }).cdr).toEqual({ xml_cdr_uuid: uuid, leg: 'a', start_epoch: '1796590159', end_epoch: '1796590172', xml: '  ' });
  });

  it('says which column holds a CDR it cannot read, by the row', async () => {
    const items = await parseRows(
      { xml_cdr_uuid: 'u1', leg: 'a', 'v_xml_cdr_json.json': '{"@attributes": {"core-uuid": "c"}, "variables": ' },
      { xml_cdr_uuid: 'u2', leg: 'a', 'v_xml_cdr_json.json': '{"@attributes": {"core-uuid": "c"}, "channel_data": {}}' },
      { xml_cdr_uuid: 'u3', leg: 'a', xml: '<cdr><variables><uuid>u3</uuid></variables>' },
      { leg: 'b', caller_id_number: '5001' },
      { xml_cdr_uuid: 'u5', leg: 'a', caller_id_number: '5001' },
    );
    expect(items.map((i) => (i.kind === 'error' ? `${i.location}: ${i.message}` : i.kind))).toEqual([
      expect.stringMatching(/^fusionpbx\.v_xml_cdr:row1: v_xml_cdr_json\.json: .*JSON/),
      'fusionpbx.v_xml_cdr:row2: v_xml_cdr_json.json: not a mod_xml_cdr document: no <variables> element',
      expect.stringMatching(/^fusionpbx\.v_xml_cdr:row3: xml: line 1: invalid XML: the document ends inside <cdr>/),
      'fusionpbx.v_xml_cdr:row4: no CDR document (json, xml or v_xml_cdr_json) and no xml_cdr_uuid',
      'fusionpbx.v_xml_cdr:row5: no start time: start_epoch / start_uepoch are missing',
    ]);
  });

  it('from the columns: a B leg joins the channel that created it, else the one it was bridged to; answer_epoch 0 is no answer', async () => {
    const a = { xml_cdr_uuid: 'aaaa', leg: 'a', direction: 'inbound', caller_id_name: 'Jonas Palm', caller_id_number: '46406280453', destination_number: '5005', start_epoch: '1796590298', answer_epoch: '1796590303', end_epoch: '1796590312', billsec: '9', duration: '9', hangup_cause: 'NORMAL_CLEARING', bridge_uuid: 'bbbb', record_path: '/var/lib/freeswitch/recordings/pbx.example/archive/2026/Dec/06', record_name: 'aaaa.wav' };
    const b = { xml_cdr_uuid: 'bbbb', leg: 'b', caller_id_name: 'Jonas Palm', caller_id_number: '46406280453', destination_number: '5005', start_epoch: '1796590298', answer_epoch: '1796590303', end_epoch: '1796590312', billsec: '9', hangup_cause: 'NORMAL_CLEARING', bridge_uuid: 'aaaa' };
    const missed = { xml_cdr_uuid: 'cccc', leg: 'a', direction: 'inbound', caller_id_number: '0701740677', destination_number: '5006', start_epoch: '1796590298', answer_epoch: '0', end_epoch: '1796590310', billsec: '0', hangup_cause: 'NO_ANSWER' };
    const [legA, legB, legMissed, legCreated] = (await parseRows(a, b, missed, { ...b, xml_cdr_uuid: 'dddd', originating_leg_uuid: 'cccc' })).map(legOf);
    expect([legA?.groupKey, legB?.groupKey, legMissed?.groupKey, legCreated?.groupKey]).toEqual(['aaaa', 'aaaa', 'cccc', 'cccc']);
    expect(legA?.leg).toMatchObject({
      startTime: '2026-12-06T20:51:38.000Z',
      answerTime: '2026-12-06T20:51:43.000Z',
      endTime: '2026-12-06T20:51:52.000Z',
      durationSec: 14, // from start and end: FusionPBX writes billsec into duration
      talkSec: 9,
      direction: 'incoming',
      from: { number: '46406280453', name: 'Jonas Palm' },
      to: { number: '5005' },
      outcome: 'answered',
      recording: { path: '/var/lib/freeswitch/recordings/pbx.example/archive/2026/Dec/06/aaaa.wav' },
    });
    expect(legMissed?.leg).toMatchObject({ outcome: 'no-answer', talkSec: 0 });
    expect(legMissed?.leg.answerTime).toBeUndefined();
  });
});
