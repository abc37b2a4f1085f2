import { createReadStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jsonAdapter from '../../adapters/freeswitch-json/index.js';
import type { FsRaw } from '../../adapters/freeswitch-json/extract-leg.js';
import xmlAdapter from '../../adapters/freeswitch-xml/index.js';
import type { AdapterDefinition } from '../../adapters/types.js';
import { PARSE_PLACEHOLDER_SECRET } from '../../src/cli/parse.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { verifyRecordingToken } from '../../src/recordings/token.js';
import type { Ledger, LedgerRow } from '../../src/ledger/ledger.js';
import type { CallRecord, Connection } from '../../adapters/call-record.js';
import { normalizeConfigSchema } from '../../src/pipeline/config.js';
import { createNormalizer } from '../../src/pipeline/normalizer.js';
import { REPO_ROOT, runParseFiles } from '../pipeline/fixture-cases.js';
import { openLedger, realPipeline } from '../sources/support.js';
import { tempDir } from '../support/tmp.js';
import { bodyInput, fileInput, mergedCalls, parseItems } from './support.js';
import { RecordingLinks } from '../../src/recordings/links.js';

/**
 * Golden tests over REAL FreeSWITCH 1.10.12 output: test/fixtures/freeswitch-real/ holds, unchanged, the 50
 * mod_json_cdr and 50 mod_xml_cdr files and the 11 recordings of ten calls (B1–B10) through a small office PBX
 * (Kustvind Service AB), and callbridge.yaml as a new user writes it from the adapter READMEs (default options,
 * only the recordings folder mapped). Every party was a mod_loopback pair, so a call of one bridge has four legs
 * (the caller's handset, the PBX leg, the PBX leg towards the phone, the phone itself).
 *
 * The expectations below are written by hand from the data set's README, copied beside the files
 * (test/fixtures/freeswitch-real/README.md, "Scenarios (ground truth)": who called whom, who answered when, which
 * file holds which recording), never from what the code prints. Times are the README's, to the second.
 *
 * FreeSWITCH writes one file per leg. Whole calls are checked where they are assembled: through the ingestor, as a
 * drop folder of a `legsAcrossFiles` adapter does it (each file's legs stashed with `ingestLegs`, calls assembled
 * once quiet with `flushQuiet`: src/sources/drop.ts, src/sources/hook-flusher.ts), and through `callbridge parse`
 * of the 50 files, which takes that same path.
 */

const DIR = 'test/fixtures/freeswitch-real';
const CONFIG = path.join(DIR, 'callbridge.yaml');
const SECRET = 'freeswitch-real-test-signing-secret';

const emails = {
  '5001': 'nils.forsberg@kustvind.example',
  '5002': 'ida.sjoberg@kustvind.example',
  '5003': 'sara.lund@kustvind.example',
  '5004': 'ahmed.karimi@kustvind.example',
  '5005': 'johanna.wester@kustvind.example',
} as const;

/** What the README says the conversation is: the body the API must get. */
interface AnsweredCall {
  id: string;
  /** call_start_time / call_end_time of the whole call, UTC, to the second. */
  start: string;
  end: string;
  direction: 'incoming' | 'outgoing';
  owner: string;
  ownerName?: string;
  participant: { phone: string; first?: string; last?: string; company?: string };
  /** The recording file under recordings/2026-12-06/. */
  recording: string;
  stereo: boolean;
  /** Seconds the outside party was connected: from its answer to the end of the call. */
  duration: number;
  /** The CallRecord's connections (adapter level, normalizer-independent): who the caller was connected to. */
  connections?: Array<{ to: string; answered: boolean; answer?: string; end: string; via?: string }>;
}

interface UnansweredCall {
  id: string;
  skipped: RegExp;
}

/** Legs that the grouping cannot put into their call (see the scenario): they become a call of their own. */
interface Apart {
  group: string;
  files: string[];
  reason: RegExp;
}

interface Scenario {
  /** Every CDR of the call, as the README's table lists it (the file name without .cdr.json / .cdr.xml). */
  files: string[];
  call: AnsweredCall | UnansweredCall;
  apart?: Apart;
}

const SCENARIOS: Record<string, Scenario> = {
  // B1 — "Mikael Åkesson (+46406280450) dials 0313900603; Sara Lund (5003) answers after 3 s; they talk 10 s and Sara
  // hangs up. Recorded in stereo." PBX leg a6caeed6 (the leg a billing system rates) 21:49:19–21:49:32 local (CET),
  // answered 21:49:22; recording a6caeed6….wav, 2 channels (RECORD_STEREO=true).
  B1: {
    files: ['a_4e79588c-77ce-444b-b0f2-3e132b8be50c', 'a_a6caeed6-e329-44d7-8a05-9061ff1d8200', 'cfb93277-4d46-4fa7-be40-75f5c7c87897', 'a_5268d38b-31c6-4b1e-b41d-654ed99d711d'],
    call: {
      id: 'a6caeed6-e329-44d7-8a05-9061ff1d8200',
      start: '2026-12-06T20:49:19Z',
      end: '2026-12-06T20:49:32Z',
      direction: 'incoming',
      owner: emails['5003'],
      participant: { phone: '+46406280450', first: 'Mikael', last: 'Åkesson' },
      recording: 'a6caeed6-e329-44d7-8a05-9061ff1d8200.wav',
      stereo: true,
      duration: 10,
    },
  },
  // B2 — "Nils Forsberg (extension 5001) dials 0980319240 … the remote party answers after 4 s ring, talks 9 s and
  // hangs up." PBX leg 8fb0e1e1 (caller_profile 5001 / Nils Forsberg) 21:49:35–21:49:48, answered 21:49:39; the
  // remote party has no name; recording 8fb0e1e1….wav, mono.
  B2: {
    files: ['a_52de2d73-7aa1-498b-a3b0-5b0901cfbdfb', 'a_8fb0e1e1-65db-46d9-80cf-5fa621cd0719', '36244fd5-a5e8-495c-ac7e-0ebd183d2e3b', 'a_95644afb-9167-4dc9-bea3-ac8b4bfa4fa8'],
    call: {
      id: '8fb0e1e1-65db-46d9-80cf-5fa621cd0719',
      start: '2026-12-06T20:49:35Z',
      end: '2026-12-06T20:49:48Z',
      direction: 'outgoing',
      owner: emails['5001'],
      ownerName: 'Nils Forsberg',
      participant: { phone: '+46980319240' },
      recording: '8fb0e1e1-65db-46d9-80cf-5fa621cd0719.wav',
      stereo: false,
      duration: 9,
    },
  },
  // B3 — "Hanna Ek (+46701740662) dials the main number 0313900600 (ring group 5000). 5006 and 5002 ring together;
  // 5002 (Ida Sjöberg) answers after 3 s and the 5006 legs end with LOSE_RACE. 8 s of conversation." PBX leg
  // a5f2de60 21:49:51–21:50:02, answered 21:49:54; the 5006 legs end 21:49:54 unanswered.
  B3: {
    files: [
      'a_be6d041c-2321-4d1a-9963-fef3ac005e8d',
      'fea0a7c4-98d7-4566-b295-093cb30838f7',
      'a4d26e96-6437-479f-84c6-2f2a47080497',
      'a_a5f2de60-cc65-400b-80ab-b6747e85ecf9',
      'a_c38233c4-f6a4-4b44-b132-b0dd1bbc8183',
      'a_22db5b0c-77de-4693-b1de-57e38c3a6d38',
    ],
    call: {
      id: 'a5f2de60-cc65-400b-80ab-b6747e85ecf9',
      start: '2026-12-06T20:49:51Z',
      end: '2026-12-06T20:50:02Z',
      direction: 'incoming',
      owner: emails['5002'],
      participant: { phone: '+46701740662', first: 'Hanna', last: 'Ek' },
      recording: 'a5f2de60-cc65-400b-80ab-b6747e85ecf9.wav',
      stereo: false,
      duration: 8,
      connections: [
        { to: '5002', answered: true, answer: '2026-12-06T20:49:54Z', end: '2026-12-06T20:50:02Z', via: 'ring group' },
        { to: '5006', answered: false, end: '2026-12-06T20:49:54Z', via: 'ring group' },
      ],
    },
  },
  // B4 — "Lindgren Transport (+46406280451) dials 0313900606. Viktor Lindahl's phone (5006) rings; after the 15 s
  // call_timeout the PBX hangs up on the caller. Nobody answered."
  B4: {
    files: ['a_3889c7c5-f51a-41bb-b7ef-d1d7cdda6a6e', 'a_7ab3f7a6-1c3b-4796-95cf-3c0f82c3684e', 'e0e378ae-4326-4cde-b670-e6d684f36e63', 'a_1cfb8991-3f6d-45ad-9459-7a0b412fa34b'],
    call: { id: '7ab3f7a6-1c3b-4796-95cf-3c0f82c3684e', skipped: /^unanswered call \(no-answer\)$/ },
  },
  // B5 — "Ida Sjöberg (5002) dials 0406280488; the far end answers busy (USER_BUSY) after 1 s. Nothing is answered."
  B5: {
    files: ['baa6c73e-9d78-4555-b25c-ff3d9b0c4421', 'a_31435630-b34b-46fd-8b8b-c76de1be3695', 'a_89b798a8-0750-491c-9727-40aae41464a9', 'a_3ac71e95-854e-4ef8-84a2-4bf408b039f3'],
    call: { id: '89b798a8-0750-491c-9727-40aae41464a9', skipped: /^unanswered call \(busy\)$/ },
  },
  // B6 — "Oskar Nyberg (+46701740663) dials 0313900604; Ahmed Karimi (5004) answers after 3 s. About 4 s after answer
  // the caller's PBX leg is blind-transferred … 5001 (Nils Forsberg) rings 3 s, answers, talks 9 s and hangs up."
  // PBX leg 53db8ca3 21:50:29–21:50:48, answered 21:50:32 (16 s connected); 5004 answered 21:50:32–21:50:36, 5001
  // 21:50:39–21:50:48. Owner after a transfer: the FIRST internal party who answered (the project's default) = 5004.
  B6: {
    files: [
      'a_7790b49e-cfd8-456c-bef2-a7bfc6dc2a04',
      '1e9d3938-2132-48eb-bb88-29b2d4706c3e',
      'a_81d03290-d71c-4477-9d10-4e71ed4b5e1b',
      'a_53db8ca3-10ec-4a26-a6df-e70eb171969c',
      '42b57a22-861b-4bd4-9e38-77f6b397b5f6',
      'a_a7b24d39-b4e0-47be-aaaa-8d38b252cc34',
    ],
    call: {
      id: '53db8ca3-10ec-4a26-a6df-e70eb171969c',
      start: '2026-12-06T20:50:29Z',
      end: '2026-12-06T20:50:48Z',
      direction: 'incoming',
      owner: emails['5004'],
      participant: { phone: '+46701740663', first: 'Oskar', last: 'Nyberg' },
      recording: '53db8ca3-10ec-4a26-a6df-e70eb171969c.wav',
      stereo: false,
      duration: 16,
      connections: [
        { to: '5004', answered: true, answer: '2026-12-06T20:50:32Z', end: '2026-12-06T20:50:36Z' },
        { to: '5001', answered: true, answer: '2026-12-06T20:50:39Z', end: '2026-12-06T20:50:48Z', via: 'transfer' },
      ],
    },
  },
  // B7 — "The caller +46406280452 presents the name `Zoë Ström-Lind, "ZSL" Konsult & Co` and dials 0313900602; Ida
  // Sjöberg (5002) answers after 3 s; 8 s of conversation." The whole name is kept and split as participant.ts does:
  // the person before the comma, the company after it.
  B7: {
    files: ['a_771c0ee0-1946-4727-bd52-ecb29a7e9f62', 'a_fecf2006-5cc0-4238-9a8a-3d106e7a73d6', '41430eeb-d4df-496e-a38a-314f5354bce7', 'a_026821a6-f4e2-4408-a7c9-4a4b3431790a'],
    call: {
      id: 'fecf2006-5cc0-4238-9a8a-3d106e7a73d6',
      start: '2026-12-06T20:50:51Z',
      end: '2026-12-06T20:51:02Z',
      direction: 'incoming',
      owner: emails['5002'],
      participant: { phone: '+46406280452', first: 'Zoë', last: 'Ström-Lind', company: '"ZSL" Konsult & Co' },
      recording: 'fecf2006-5cc0-4238-9a8a-3d106e7a73d6.wav',
      stereo: false,
      duration: 8,
    },
  },
  // B8 — "Fatima Haddad (+46701740664) dials 0313900601; Nils Forsberg (5001) answers 3 s later … Nils places a
  // separate consultation call from 5001 to 5004 … 5 s later the transfer is completed with uuid_bridge … Fatima now
  // talks to Ahmed … Ahmed hangs up 20 s after he first answered. Two calls, eight legs." Caller's PBX leg 5be7fe6f
  // 21:51:05–21:51:35, answered 21:51:08 (27 s); its recording covers both parts. Owner: the first who answered, 5001.
  // The consultation call (5001 → 5004) stays a call of its own: of its four legs only 1f5623fa (the leg
  // uuid_bridge moved to Fatima) names her call; its PBX leg b152c266, Nils's handset 3781f671 and the 5004 phone
  // b3d26d0d name only each other and 1f5623fa, and a leg's call is decided from its own CDR.
  B8: {
    files: [
      'a_d11f9f97-b279-4b0b-83c7-f1df0853cd82',
      '90074398-ab5b-419c-afad-2b3eacc4b85c',
      'a_5be7fe6f-95bc-4559-9c73-f4314855ec1e',
      'a_5af52746-f4cb-4aa9-9272-8e5b5bb6c76c',
      'a_3781f671-22af-47fe-8d68-fab6de55f5e3',
      '1f5623fa-d43d-46b7-a40f-505a92df8268',
      'a_b152c266-44ee-422f-b760-a569a148d91f',
      'a_b3d26d0d-92ea-41c9-9cf3-7dde7eb44363',
    ],
    call: {
      id: '5be7fe6f-95bc-4559-9c73-f4314855ec1e',
      start: '2026-12-06T20:51:05Z',
      end: '2026-12-06T20:51:35Z',
      direction: 'incoming',
      owner: emails['5001'],
      participant: { phone: '+46701740664', first: 'Fatima', last: 'Haddad' },
      recording: '5be7fe6f-95bc-4559-9c73-f4314855ec1e.wav',
      stereo: false,
      duration: 27,
      connections: [
        { to: '5001', answered: true, answer: '2026-12-06T20:51:08Z', end: '2026-12-06T20:51:20Z' },
        { to: '5004', answered: true, answer: '2026-12-06T20:51:20Z', end: '2026-12-06T20:51:35Z', via: 'attended transfer' },
      ],
    },
    apart: {
      group: 'b152c266-44ee-422f-b760-a569a148d91f',
      files: ['a_3781f671-22af-47fe-8d68-fab6de55f5e3', 'a_b152c266-44ee-422f-b760-a569a148d91f', 'a_b3d26d0d-92ea-41c9-9cf3-7dde7eb44363'],
      reason: /^internal call \(5001 → 5004\)$/,
    },
  },
  // B9 — "Jonas Palm (+46406280453) dials 0313900605. Extension 5005 forwards to the mobile 0701740677 … The mobile
  // answers after about 4 s ring, talks 9 s … The caller's PBX leg itself has no recording." Johanna Wester (5005)
  // took the call on her mobile: owner 5005. 21:51:38–21:51:52, answered 21:51:43; the call's only recording is the
  // inner leg's, 122b0ba2….wav ("the recording happen[s] on the inner leg").
  // The remote party's own loopback half a43b4801 names only the inner legs (122b0ba2, 235228db), neither of which
  // is the call's A leg: it forms a call of its own (its PBX-side twin 235228db does reach the call, through
  // mod_loopback's other_leg_true_id).
  B9: {
    files: [
      'a_a6174cc8-7e3f-46ff-82ae-08fff357019b',
      'c0ca5032-0cc0-4e6c-9283-7ed3389a717d',
      'a_122b0ba2-d528-40fc-a946-d475b88d6de8',
      'a_edc6b344-9fe3-4384-92ff-0ddeef07e5b8',
      '235228db-dc63-4f97-9154-aed439cfff18',
      'a_a43b4801-4de6-4fae-8ede-ef0a32f7b574',
    ],
    call: {
      id: 'edc6b344-9fe3-4384-92ff-0ddeef07e5b8',
      start: '2026-12-06T20:51:38Z',
      end: '2026-12-06T20:51:52Z',
      direction: 'incoming',
      owner: emails['5005'],
      participant: { phone: '+46406280453', first: 'Jonas', last: 'Palm' },
      recording: '122b0ba2-d528-40fc-a946-d475b88d6de8.wav',
      stereo: false,
      duration: 9,
    },
    apart: { group: '122b0ba2-d528-40fc-a946-d475b88d6de8', files: ['a_a43b4801-4de6-4fae-8ede-ef0a32f7b574'], reason: /^external-only call/ },
  },
  // B10 — "Elin Back (+46701740665) dials 0313900690 (queue 5090 …). The PBX answers at once and records … About 8 s
  // later agent Sara Lund (5003) takes the call … rings 3 s, answers and is connected to Elin; Sara hangs up after
  // 10 s." 21:51:55–21:52:16; connected to the agent 21:52:06 (bridge), so 10 s with a person, which is what the
  // 9.96 s recording holds. The caller's PBX leg has no a_ prefix and a third callflow entry `phones / Outbound
  // Call`: the caller is in the older entries.
  // The agent's desk phone 4c067449 (the far half of the loopback the agent's line was originated on) names only
  // the agent's line 2713e276: it forms a call of its own.
  B10: {
    files: ['a_ee5f4504-fc9c-4a99-b139-6167e992f336', '25de33b9-6465-455e-8f9a-99ba30412bb1', 'a_2713e276-1606-424a-bff0-0ec799d49d2b', 'a_4c067449-3401-4838-a3d5-61fcedbd3593'],
    call: {
      id: '25de33b9-6465-455e-8f9a-99ba30412bb1',
      start: '2026-12-06T20:51:55Z',
      end: '2026-12-06T20:52:16Z',
      direction: 'incoming',
      owner: emails['5003'],
      participant: { phone: '+46701740665', first: 'Elin', last: 'Back' },
      recording: '25de33b9-6465-455e-8f9a-99ba30412bb1.wav',
      stereo: false,
      duration: 10,
      connections: [{ to: '5003', answered: true, answer: '2026-12-06T20:52:06Z', end: '2026-12-06T20:52:16Z', via: 'queue' }],
    },
    apart: { group: '4c067449-3401-4838-a3d5-61fcedbd3593', files: ['a_4c067449-3401-4838-a3d5-61fcedbd3593'], reason: /^internal call \(5003 → 5003\)$/ },
  },
};

const scenarios = Object.entries(SCENARIOS);
const isAnswered = (call: AnsweredCall | UnansweredCall): call is AnsweredCall => !('skipped' in call);

/** The call (group) each file must end up in. */
function expectedGroup(file: string): string {
  for (const [, s] of scenarios) {
    if (s.apart?.files.includes(file)) return s.apart.group;
    if (s.files.includes(file)) return s.call.id;
  }
  throw new Error(`${file} is in no scenario`);
}

const FORMATS = [
  { adapter: jsonAdapter as AdapterDefinition, folder: 'json_cdr', ext: '.cdr.json' },
  { adapter: xmlAdapter as AdapterDefinition, folder: 'xml_cdr', ext: '.cdr.xml' },
] as const;

const loaded = (): Config => loadConfig(path.join(REPO_ROOT, CONFIG)).config;
const sourceFor = (config: Config, adapterId: string) => {
  const source = config.sources.find((s) => s.adapter === adapterId);
  if (!source) throw new Error(`${CONFIG} has no source for ${adapterId}`);
  return source;
};
const second = (iso: string | undefined) => (iso ? `${iso.slice(0, 19)}Z` : iso);

/** The payload fields the README's ground truth settles, as they must be. */
function expectedBody(call: AnsweredCall): Record<string, unknown> {
  return {
    call_external_id: call.id,
    call_start_time: call.start,
    call_end_time: call.end,
    call_duration: call.duration,
    call_is_stereo: call.stereo,
    call_direction: call.direction,
    call_outcome: 'Answered',
    owner_email: call.owner,
    owner_name: call.ownerName,
    participant_phone_number: call.participant.phone,
    participant_first_name: call.participant.first,
    participant_last_name: call.participant.last,
    participant_company_name: call.participant.company,
    participant_email: undefined,
  };
}

function bodyOf(payload: Record<string, unknown>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(expectedBody(SCENARIOS.B1!.call as AnsweredCall))) picked[key] = payload[key];
  picked.call_start_time = second(payload.call_start_time as string);
  picked.call_end_time = second(payload.call_end_time as string);
  return picked;
}

describe('freeswitch-real: the fixtures are the data set', () => {
  it.each(FORMATS.map((f) => [f.folder, f] as const))('%s: the 50 files the scenarios list, no more', (_name, format) => {
    const listed = scenarios.flatMap(([, s]) => s.files).sort();
    expect(new Set(listed).size).toBe(50);
    const files = readdirSync(path.join(REPO_ROOT, DIR, format.folder)).map((f) => f.slice(0, -format.ext.length));
    expect(files.sort()).toEqual(listed);
  });
});

describe.each(FORMATS.map((f) => [f.adapter.id, f] as const))('%s, real FreeSWITCH 1.10.12 CDRs', (_id, format) => {
  const options = () => format.adapter.configSchema.parse(sourceFor(loaded(), format.adapter.id).options);
  const read = async (file: string) => parseItems(format.adapter, fileInput(path.join(REPO_ROOT, DIR, format.folder), `${file}${format.ext}`), options());

  it.each(scenarios)('%s: every CDR file is one leg of the call its links name', async (_name, scenario) => {
    for (const file of scenario.files) {
      const items = await read(file);
      expect(items.map((i) => i.kind)).toEqual(['leg']);
      const item = items[0];
      if (item?.kind !== 'leg') throw new Error('unreachable');
      expect([file, item.groupKey]).toEqual([file, expectedGroup(file)]);
      // The file name minus a_ and the extension is the channel's uuid (README "File names and the a_ prefix").
      expect((item.leg.raw as FsRaw).uuid).toBe(file.replace(/^a_/, ''));
    }
  });

  it('hands the whole caller-id name on, decoded, from the caller profile and from the URL-encoded variables (B7)', async () => {
    // B7's PBX leg: the profile holds the name as UTF-8 (JSON) or with character references (XML: Zo&#xEB; … &amp; Co);
    // the variables URL-encoded (Zo%C3%AB%20Str%C3%B6m-Lind,%20%22ZSL%22%20Konsult%20%26%20Co, %2B46406280452).
    const file = `a_fecf2006-5cc0-4238-9a8a-3d106e7a73d6${format.ext}`;
    const text = readFileSync(path.join(REPO_ROOT, DIR, format.folder, file), 'utf8');
    const withoutProfiles =
      format.folder === 'json_cdr' ? JSON.stringify({ ...(JSON.parse(text) as Record<string, unknown>), callflow: [] }) : text.replace(/<callflow\b[\s\S]*?<\/callflow>/g, '');
    expect(withoutProfiles).not.toMatch(/caller_profile/);
    for (const body of [text, withoutProfiles]) {
      const [item] = await parseItems(format.adapter, bodyInput(file, body), options());
      if (item?.kind !== 'leg') throw new Error(`expected a leg, got ${JSON.stringify(item)}`);
      expect(item.leg.from).toMatchObject({ number: '+46406280452', name: 'Zoë Ström-Lind, "ZSL" Konsult & Co' });
    }
  });

  it.each(scenarios.filter(([, s]) => isAnswered(s.call) && s.call.connections))(
    '%s: the merged call names who the caller was connected to, and when',
    async (_name, scenario) => {
      const call = scenario.call as AnsweredCall;
      const items = (await Promise.all(scenario.files.map(read))).flat();
      const merged = mergedCalls(format.adapter, items).get(call.id) as CallRecord;
      const seen = (merged.connections ?? []).map((c: Connection) => {
        const out: { to: string | undefined; answered: boolean; answer?: string; end: string | undefined; via?: string } = {
          to: c.to.number,
          answered: c.answered,
          end: second(c.endTime),
        };
        if (c.answerTime) out.answer = second(c.answerTime) as string;
        if (c.via) out.via = c.via;
        return out;
      });
      const byNumber = <T extends { to: string | undefined }>(list: T[]) => [...list].sort((a, b) => String(a.to).localeCompare(String(b.to)));
      expect(byNumber(seen)).toEqual(byNumber(call.connections ?? []));
      // Every connection is from the caller as the call arrived.
      for (const c of merged.connections ?? []) expect(c.from.number).toBe(call.participant.phone);
    },
  );
});

describe.each(FORMATS.map((f) => [f.adapter.id, f] as const))('%s: owner after a transfer, configurable', (_id, format) => {
  // The connections let normalize.ownerAfterTransfer choose: `last` is the internal party the caller talked with
  // when the call ended. B6 (blind): Nils Forsberg, 5001, "talks 9 s and hangs up"; B8 (attended): Ahmed
  // Karimi, 5004, "Fatima now talks to Ahmed … Ahmed hangs up". The conversation's length does not change.
  it.each([
    ['B6', emails['5001'], 16],
    ['B8', emails['5004'], 27],
  ] as const)('%s with ownerAfterTransfer: last → %s', async (name, owner, duration) => {
    const config = loaded();
    const source = sourceFor(config, format.adapter.id);
    const normalizer = createNormalizer(normalizeConfigSchema.parse({ ...config.normalize, ownerAfterTransfer: 'last' }), {
      baseDir: REPO_ROOT,
      links: new RecordingLinks({ publicBaseUrl: 'https://callbridge.example.com', secret: SECRET, ttlHours: 72 }),
      linkClock: 'call-end',
      roots: config.recordings.roots,
    });
    const scenario = SCENARIOS[name] as Scenario;
    const folder = path.join(REPO_ROOT, DIR, format.folder);
    const options = format.adapter.configSchema.parse(source.options);
    const items = (await Promise.all(scenario.files.map((f) => parseItems(format.adapter, fileInput(folder, `${f}${format.ext}`), options)))).flat();
    const call = mergedCalls(format.adapter, items).get(scenario.call.id) as CallRecord;
    const result = await normalizer.normalize(call, source);
    expect(result).toMatchObject({ kind: 'payload', payload: { call_external_id: scenario.call.id, owner_email: owner, call_duration: duration } });
  });
});

describe.each(FORMATS.map((f) => [f.adapter.id, f] as const))('%s: the drop folder path (legs stashed across files, calls assembled once quiet)', (_id, format) => {
  let tmp: ReturnType<typeof tempDir>;
  const runs: Array<{ order: string; rows: LedgerRow[] }> = [];

  beforeAll(async () => {
    const config = loaded();
    const source = sourceFor(config, format.adapter.id);
    const folder = path.join(REPO_ROOT, DIR, format.folder);
    const names = readdirSync(folder).sort();
    tmp = tempDir('callbridge-fs-real-');
    for (const [order, files] of [['name order', names], ['reverse order', [...names].reverse()]] as const) {
      const dir = path.join(tmp.dir, order.replace(' ', '-'));
      mkdirSync(dir);
      const ledger: Ledger = await openLedger(dir);
      try {
        const p = realPipeline(ledger, { normalize: config.normalize, roots: config.recordings.roots, signingSecret: SECRET, publicBaseUrl: config.http.publicBaseUrl });
        for (const name of files) {
          const summary = await p.ingestor.ingestLegs(source, { name: path.join(DIR, format.folder, name), stream: createReadStream(path.join(folder, name)) });
          expect(summary.errors).toEqual([]);
          expect(summary.stashed).toBe(1);
        }
        await p.ingestor.flushQuiet(source, Date.now() + 24 * 3600_000);
        runs.push({ order, rows: await ledger.query({}) });
      } finally {
        await ledger.close();
      }
    }
  });
  afterAll(() => tmp?.cleanup());

  const rowOf = (rows: LedgerRow[], id: string) => {
    const found = rows.filter((r) => r.externalId === id);
    expect(found).toHaveLength(1);
    return found[0] as LedgerRow;
  };

  it('one row per call, plus one per group of legs that names no leg of its call (B8, B9, B10), and nothing else', () => {
    for (const { rows } of runs) {
      const expected = scenarios.flatMap(([, s]) => [s.call.id, ...(s.apart ? [s.apart.group] : [])]).sort();
      expect(rows.map((r) => r.externalId).sort()).toEqual(expected);
      // All 50 legs are in exactly one row.
      expect(rows.reduce((n, r) => n + ((r.raw as CallRecord).legs ?? 0), 0)).toBe(50);
    }
  });

  it.each(scenarios)('%s: as the README says', (_name, scenario) => {
    for (const { order, rows } of runs) {
      const row = rowOf(rows, scenario.call.id);
      const legs = scenario.files.length - (scenario.apart?.files.length ?? 0);
      expect([order, (row.raw as CallRecord).legs]).toEqual([order, legs]);
      const call = scenario.call;
      if (!isAnswered(call)) {
        expect([order, row.state, row.reason]).toEqual([order, 'skipped', expect.stringMatching(call.skipped)]);
        continue;
      }
      expect([order, row.state, row.reason]).toEqual([order, 'pending', null]);
      const payload = row.payload as unknown as Record<string, unknown>;
      expect([order, bodyOf(payload)]).toEqual([order, expectedBody(call)]);
      // The recording of the call's PBX leg, as a signed link naming this call; the row keeps which file it serves.
      const url = String(payload.call_recording_url);
      expect(url.startsWith('https://callbridge.example.com/recordings/')).toBe(true);
      expect(verifyRecordingToken(url.slice(url.lastIndexOf('/') + 1), SECRET)).toMatchObject({ ok: true, claim: { id: call.id } });
      expect((row.raw as CallRecord).recording?.path).toBe(`./2026-12-06/${call.recording}`);
      if (scenario.apart) {
        const apart = rowOf(rows, scenario.apart.group);
        expect([order, apart.state, apart.reason]).toEqual([order, 'skipped', expect.stringMatching(scenario.apart.reason)]);
      }
    }
  });

  it('the same rows whatever order the files arrive in', () => {
    const view = (rows: LedgerRow[]) =>
      rows
        .map((r) => ({ id: r.externalId, state: r.state, reason: r.reason, payload: r.payload ? { ...r.payload, call_recording_url: 'signed' } : null }))
        .sort((a, b) => a.id.localeCompare(b.id));
    expect(runs).toHaveLength(2);
    expect(view(runs[1]!.rows)).toEqual(view(runs[0]!.rows));
  });
});

describe.each(FORMATS.map((f) => [f.adapter.id, f] as const))('%s: `callbridge parse` of the 50 files as FreeSWITCH wrote them, one leg per file', (_id, format) => {
  let lines: Array<Record<string, unknown>>;
  let stderr: string;

  beforeAll(async () => {
    // In the order `ls` gives: legs of one call are far apart (a_ files first), as in a drop folder.
    const files = readdirSync(path.join(REPO_ROOT, DIR, format.folder))
      .sort()
      .map((f) => path.join(DIR, format.folder, f));
    const run = await runParseFiles({ configFile: CONFIG, sourceId: sourceFor(loaded(), format.adapter.id).id, files });
    expect(run.code).toBe(0);
    stderr = run.stderr;
    lines = run.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  });

  /** A skipped line names where its call is: the file of one of its legs. */
  const groupOfLine = (line: Record<string, unknown>) => expectedGroup(path.basename(String(line.source).replace(/:\d+$/, ''), format.ext));

  it('says what it printed, once, on stderr', () => {
    const calls = scenarios.flatMap(([, s]) => [s.call.id, ...(s.apart ? [s.apart.group] : [])]).length;
    const answered = scenarios.filter(([, s]) => isAnswered(s.call)).length;
    expect(stderr.match(/^callbridge parse: \d+ calls? \(/gm)).toHaveLength(1);
    expect(stderr).toContain(`callbridge parse: ${calls} calls (${answered} payloads, ${calls - answered} skipped, 0 rejected), 0 other records skipped, 0 input errors; skipped: `);
  });

  it('one line per call, plus the groups of legs that name no leg of their call', () => {
    const ids = lines.map((l) => (l.payload ? (l.payload as Record<string, unknown>).call_external_id : groupOfLine(l)));
    expect(ids.sort()).toEqual(scenarios.flatMap(([, s]) => [s.call.id, ...(s.apart ? [s.apart.group] : [])]).sort());
  });

  it.each(scenarios)('%s: as the README says', (_name, scenario) => {
    const call = scenario.call;
    if (!isAnswered(call)) {
      const line = lines.find((l) => !l.payload && groupOfLine(l) === call.id);
      expect(line).toMatchObject({ state: 'skipped', error: expect.stringMatching(call.skipped) });
      return;
    }
    const line = lines.find((l) => (l.payload as Record<string, unknown> | undefined)?.call_external_id === call.id);
    const payload = line?.payload as Record<string, unknown>;
    expect(bodyOf(payload)).toEqual(expectedBody(call));
    const url = String(payload.call_recording_url);
    // parse signs with its placeholder secret, links expiring relative to the call's end
    expect(verifyRecordingToken(url.slice(url.lastIndexOf('/') + 1), PARSE_PLACEHOLDER_SECRET, Date.parse(String(payload.call_end_time)))).toMatchObject({
      ok: true,
      claim: { id: call.id },
    });
  });
});
