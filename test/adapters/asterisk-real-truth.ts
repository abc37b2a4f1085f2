/**
 * What a real Asterisk 22.10.1 ("pbx2", test/fixtures/asterisk-real/README.md) did, call by call, written from
 * that README's ground truth (§2 scenarios, §3 rows, the recordings table) and the fixture config's owners.
 * Times: the PBX ran in Europe/Stockholm = CET = UTC+1 on 2026-12-06, so 21:24:09 local is 20:24:09Z.
 * call_duration is the time the outside party was connected: from its answer to the end of the call.
 * Shared by the parse contract test and the drop-folder e2e test; nothing here is copied from program output.
 */

export const REAL_DIR = 'test/fixtures/asterisk-real';
export const REAL_CONFIG = `${REAL_DIR}/callbridge.yaml`;
export const REAL_MASTER = `${REAL_DIR}/Master.csv`;

export interface SentCall {
  scenario: string;
  what: string;
  /** The call's first line in Master.csv (its location). */
  line: number;
  /** The payload without call_recording_url (a signed link: checked through the recording it names). */
  payload: Record<string, unknown>;
  /** The recording the link must name: the caller row's userfield file. */
  recording: string;
  /** Owner with normalize.ownerAfterTransfer: last, where it differs (transfers). */
  lastOwner?: string;
  /** parse's note, where the call has a second recording. */
  note?: RegExp;
}

export interface SkippedCall {
  scenario: string;
  what: string;
  line: number;
  reason: string;
}

const owners = {
  '3101': 'soren.kjaergaard@pbx2.example.se',
  '3102': 'jurgen.weiss@pbx2.example.se',
  '3103': 'paivi.makela@pbx2.example.se',
  '3104': 'ingrid.dahl@pbx2.example.se',
  '3105': 'leena.hakkinen@pbx2.example.se',
  '3106': 'tobias.lund@pbx2.example.se',
  '3107': 'karin.oberg@pbx2.example.se',
  '3108': 'nils.froberg@pbx2.example.se',
};

export const SENT: SentCall[] = [
  {
    scenario: 'D1',
    what: 'Emma Lindqvist calls the DID of 3101; answered after 2 s, 9 s talk',
    line: 1,
    payload: {
      call_external_id: 'pbx2-1796588649.0',
      call_start_time: '2026-12-06T20:24:09Z',
      call_end_time: '2026-12-06T20:24:20Z',
      call_duration: 9,
      call_is_stereo: false,
      call_direction: 'incoming',
      call_outcome: 'Answered',
      owner_email: owners['3101'],
      participant_first_name: 'Emma',
      participant_last_name: 'Lindqvist',
      participant_phone_number: '+46763218877',
    },
    recording: 'in_20261206-212409_+46763218877_3101_pbx2-1796588649.1.wav',
  },
  {
    scenario: 'D2',
    what: 'click-to-call (AMI Originate): 3104 Ingrid Dahl answers 21:24:25, the Danish customer answers 21:24:29, talks 10 s',
    line: 4,
    payload: {
      call_external_id: 'pbx2-1796588663.4',
      call_start_time: '2026-12-06T20:24:23Z',
      call_end_time: '2026-12-06T20:24:39Z',
      call_duration: 10,
      call_is_stereo: false,
      call_direction: 'outgoing',
      call_outcome: 'Answered',
      owner_email: owners['3104'],
      owner_name: 'Ingrid Dahl',
      participant_phone_number: '+4586123456',
    },
    recording: 'out_20261206-212425_3104_+4586123456_pbx2-1796588663.4.wav',
  },
  {
    scenario: 'D3',
    what: 'queue kundtjanst (linear): 3103 does not answer, 3105 Leena Häkkinen answers 21:24:55, 8 s talk',
    line: 7,
    payload: {
      call_external_id: 'pbx2-1796588682.8',
      call_start_time: '2026-12-06T20:24:42Z',
      call_end_time: '2026-12-06T20:25:03Z',
      call_duration: 8,
      call_is_stereo: false,
      call_direction: 'incoming',
      call_outcome: 'Answered',
      owner_email: owners['3105'],
      participant_first_name: 'Hanna',
      participant_last_name: 'Eklund',
      participant_phone_number: '+46709988776',
    },
    recording: 'in_20261206-212442_+46709988776_q-kundtjanst_pbx2-1796588682.9.wav',
  },
  {
    scenario: 'D5',
    what: 'main number: ring group 3101, 3102, 3104 nobody answers; fallback 3108 Nils Fröberg answers 21:25:37, 6 s talk',
    line: 17,
    payload: {
      call_external_id: 'pbx2-1796588722.20',
      call_start_time: '2026-12-06T20:25:22Z',
      call_end_time: '2026-12-06T20:25:43Z',
      call_duration: 6,
      call_is_stereo: false,
      call_direction: 'incoming',
      call_outcome: 'Answered',
      owner_email: owners['3108'],
      participant_phone_number: '+46302123456',
      participant_company_name: 'Lerum Transport AB',
    },
    recording: 'in_20261206-212522_+46302123456_main_pbx2-1796588722.21.wav',
  },
  {
    scenario: 'D6',
    what: '3105 calls the mobile 0736512480 (answered 21:25:50), blind-transfers it to 3107, who talks with it until 21:26:06',
    line: 26,
    payload: {
      call_external_id: 'pbx2-1796588747.30',
      call_start_time: '2026-12-06T20:25:47Z',
      call_end_time: '2026-12-06T20:26:06Z',
      call_duration: 16,
      call_is_stereo: false,
      call_direction: 'outgoing',
      call_outcome: 'Answered',
      owner_email: owners['3105'],
      owner_name: 'Leena Häkkinen',
      participant_phone_number: '+46736512480',
    },
    recording: 'out_20261206-212547_3105_0736512480_pbx2-1796588747.31.wav',
    lastOwner: owners['3107'],
    note: /^recording: sent out_20261206-212547_3105_0736512480_pbx2-1796588747\.31\.wav, the recording of the caller's channel; the call also has xfer_20261206-212557_0736512480_3107_pbx2-1796588747\.32\.wav \(started 2026-12-06 21:25:57\), which is not sent/,
  },
  {
    scenario: 'D9a',
    what: '"O\'Brien, Kate" from Ireland calls the DID of 3105; answered 21:26:29, 6 s talk',
    line: 38,
    payload: {
      call_external_id: 'pbx2-1796588787.44',
      call_start_time: '2026-12-06T20:26:27Z',
      call_end_time: '2026-12-06T20:26:35Z',
      call_duration: 6,
      call_is_stereo: false,
      call_direction: 'incoming',
      call_outcome: 'Answered',
      owner_email: owners['3105'],
      participant_first_name: 'Kate',
      participant_last_name: "O'Brien",
      participant_phone_number: '+353861234567',
    },
    recording: 'in_20261206-212627_+353861234567_3105_pbx2-1796588787.45.wav',
  },
  {
    scenario: 'D9b',
    what: '"Müller & Söhne GmbH" from Berlin calls the DID of 3102; answered 21:26:42, 6 s talk',
    line: 41,
    payload: {
      call_external_id: 'pbx2-1796588799.48',
      call_start_time: '2026-12-06T20:26:39Z',
      call_end_time: '2026-12-06T20:26:48Z',
      call_duration: 6,
      call_is_stereo: false,
      call_direction: 'incoming',
      call_outcome: 'Answered',
      owner_email: owners['3102'],
      participant_phone_number: '+493012345678',
      participant_company_name: 'Müller & Söhne GmbH',
    },
    recording: 'in_20261206-212639_+493012345678_3102_pbx2-1796588799.49.wav',
  },
  {
    scenario: 'D10',
    what: 'Tuomas Virtanen calls the DID of 3103 (answered 21:26:53); 3103 transfers him (attended) to 3106, who talks with him until 21:27:12',
    line: 44,
    payload: {
      call_external_id: 'pbx2-1796588811.52',
      call_start_time: '2026-12-06T20:26:51Z',
      call_end_time: '2026-12-06T20:27:12Z',
      call_duration: 19,
      call_is_stereo: false,
      call_direction: 'incoming',
      call_outcome: 'Answered',
      owner_email: owners['3103'],
      participant_first_name: 'Tuomas',
      participant_last_name: 'Virtanen',
      participant_phone_number: '+358401234567',
    },
    recording: 'in_20261206-212651_+358401234567_3103_pbx2-1796588811.53.wav',
    lastOwner: owners['3106'],
  },
  {
    scenario: 'D11',
    what: 'Ebba Sandström calls the DID of 3106; answered 21:27:17, 50 s talk, she hangs up',
    line: 53,
    payload: {
      call_external_id: 'pbx2-1796588835.60',
      call_start_time: '2026-12-06T20:27:15Z',
      call_end_time: '2026-12-06T20:28:07Z',
      call_duration: 50,
      call_is_stereo: false,
      call_direction: 'incoming',
      call_outcome: 'Answered',
      owner_email: owners['3106'],
      participant_first_name: 'Ebba',
      participant_last_name: 'Sandström',
      participant_phone_number: '+46313338899',
    },
    recording: 'in_20261206-212715_+46313338899_3106_pbx2-1796588835.61.wav',
  },
];

export const SKIPPED: SkippedCall[] = [
  {
    scenario: 'D4',
    what: 'queue order (rrmemory): 3106 rings 5 s, 3107 rings until the caller hangs up after 11 s; nobody answers (abandoned)',
    line: 12,
    reason: 'unanswered call (no-answer: queue order rang 3106, 3107; nobody answered)',
  },
  { scenario: 'D7', what: '3103 calls a Norwegian number, which is busy', line: 31, reason: 'unanswered call (busy)' },
  { scenario: 'D8', what: 'internal: 3107 calls 3102', line: 35, reason: 'internal call (3107 → 3102)' },
];

/** Every call of the samples, in the order of their first line (the order parse prints them in). */
export const ALL_CALLS: Array<SentCall | SkippedCall> = [...SENT, ...SKIPPED].sort((a, b) => a.line - b.line);
