/**
 * The words call exports use, in English, Swedish, Norwegian, Danish and German: column names for each call
 * field of the generic adapter's mapping, and the values of direction and status columns. Names are compared
 * after `normalName` (lower case, no diacritics, punctuation as spaces): "Från-nummer" → "fran nummer".
 */

export type Role =
  | 'externalId'
  | 'groupKey'
  | 'startTime'
  | 'date'
  | 'timeOfDay'
  | 'answerTime'
  | 'endTime'
  | 'talkSec'
  | 'durationSec'
  | 'fromNumber'
  | 'fromName'
  | 'toNumber'
  | 'toName'
  | 'ownerExtension'
  | 'recording'
  | 'direction'
  | 'disposition';

export const ROLE_NAMES: Readonly<Record<Role, readonly string[]>> = {
  externalId: ['call id', 'callid', 'call uuid', 'uniqueid', 'unique id', 'uuid', 'id', 'call sid', 'callsid', 'sid', 'cdr id', 'record id',
    'call reference', 'reference', 'ref', 'samtals id', 'samtalsid', 'samtal id', 'anrops id', 'anropsid', 'opkalds id', 'anruf id'],
  groupKey: ['linked id', 'linkedid', 'linked call id', 'parent id', 'parent call id', 'group id', 'thread id', 'session id', 'kopplat id'],
  startTime: ['start', 'started', 'start time', 'starttime', 'start date', 'start datetime', 'call start', 'begin', 'begin time', 'started at',
    'start at', 'date time', 'datetime', 'timestamp', 'time stamp', 'date', 'call date', 'call time', 'time', 'starttid', 'start tid', 'startad',
    'startade', 'datum tid', 'datum', 'tidpunkt', 'tid', 'tidspunkt', 'starttidspunkt', 'beginn', 'startzeit', 'zeitpunkt', 'anrufzeit'],
  date: ['date', 'call date', 'start date', 'datum', 'dag', 'dato', 'day'],
  timeOfDay: ['time', 'start time', 'call time', 'tid', 'starttid', 'klockslag', 'kl', 'klokkeslett', 'klokkeslaet', 'zeit', 'uhrzeit', 'start'],
  answerTime: ['answer', 'answered', 'answer time', 'answered at', 'connect', 'connected', 'connect time', 'connected at', 'svarad', 'svarstid',
    'besvarad', 'besvarad tid', 'besvarat tid', 'svar', 'besvart', 'angenommen'],
  endTime: ['end', 'ended', 'end time', 'ended at', 'stop', 'stop time', 'hangup', 'hangup time', 'disconnect', 'disconnected', 'slut', 'sluttid',
    'avslutad', 'avslutat', 'slutade', 'slutt', 'sluttidspunkt', 'ende', 'endzeit'],
  talkSec: ['talk', 'talk time', 'talktime', 'talk sec', 'talk seconds', 'billsec', 'bill sec', 'billable', 'billable seconds', 'billed',
    'billed seconds', 'billing seconds', 'conversation time', 'connected time', 'samtalstid', 'taltid', 'debiterad tid', 'debiterbar tid',
    'debiterade sekunder', 'samtaletid', 'gesprachsdauer', 'gespraechsdauer'],
  durationSec: ['duration', 'duration s', 'duration sec', 'duration secs', 'duration seconds', 'duration ms', 'call duration', 'length', 'call length',
    'seconds', 'secs', 'total', 'total time', 'total duration', 'langd', 'langd s', 'langd sek', 'samtalslangd', 'varaktighet', 'tid s', 'tid sek',
    'sekunder', 'lengde', 'varighed', 'dauer'],
  fromNumber: ['from', 'from number', 'caller', 'caller number', 'caller id', 'callerid', 'calling', 'calling number', 'calling party', 'src',
    'source', 'source number', 'a number', 'anumber', 'a nr', 'a nummer', 'anummer', 'ani', 'origin', 'originator', 'fran', 'fran nummer',
    'frannummer', 'uppringare', 'ringande', 'ringande nummer', 'avsandare', 'nummer fran', 'anropande', 'anropare', 'anropande nummer', 'fra',
    'fra nummer', 'von', 'anrufer'],
  fromName: ['caller name', 'from name', 'calling name', 'cnam', 'caller id name', 'callerid name', 'source name', 'fran namn', 'uppringarens namn',
    'anropare namn', 'namn', 'name', 'fra navn', 'anrufername'],
  toNumber: ['to', 'to number', 'callee', 'callee number', 'called', 'called number', 'called party', 'dst', 'destination', 'destination number',
    'dialed', 'dialled', 'dialed number', 'dialled number', 'b number', 'bnumber', 'b nr', 'b nummer', 'bnummer', 'dnis', 'till', 'till nummer',
    'tillnummer', 'mottagare', 'uppringt', 'uppringt nummer', 'nummer till', 'mottaget av', 'til', 'til nummer', 'nach', 'ziel', 'angerufen'],
  toName: ['callee name', 'to name', 'called name', 'destination name', 'till namn', 'mottagare namn', 'mottagarens namn', 'til navn'],
  ownerExtension: ['extension', 'ext', 'agent', 'agent ext', 'agent extension', 'user', 'user extension', 'local', 'local number',
    'local extension', 'internal number', 'anknytning', 'ankn', 'anknytningsnummer', 'anvandare', 'handlaggare', 'agent anknytning',
    'lokalnummer', 'internnummer', 'nebenstelle', 'durchwahl'],
  recording: ['recording', 'recording url', 'recording file', 'recording path', 'recording link', 'recording name', 'record', 'rec', 'recfile',
    'rec file', 'file', 'filename', 'file name', 'audio', 'audio url', 'audio file', 'url', 'link', 'inspelning', 'inspelningsfil',
    'inspelning url', 'inspelningslank', 'ljudfil', 'fil', 'opptak', 'optagelse', 'aufnahme', 'aufzeichnung'],
  direction: ['direction', 'dir', 'call direction', 'call type', 'type', 'inout', 'in out', 'riktning', 'samtalsriktning', 'samtalstyp', 'typ',
    'retning', 'richtung'],
  disposition: ['status', 'call status', 'disposition', 'result', 'outcome', 'state', 'answered', 'utfall', 'resultat', 'besvarat',
    'samtalsstatus', 'tillstand', 'anrufstatus', 'ergebnis'],
};

/** Direction values (after `normalName`) → the generic adapter's direction. */
export const DIRECTION_WORDS: Readonly<Record<string, 'incoming' | 'outgoing' | 'internal'>> = {
  in: 'incoming', inbound: 'incoming', incoming: 'incoming', inc: 'incoming', i: 'incoming', ink: 'incoming', inkommande: 'incoming',
  'inkommande samtal': 'incoming', innkommende: 'incoming', indgaende: 'incoming', eingehend: 'incoming', ankommend: 'incoming',
  out: 'outgoing', outbound: 'outgoing', outgoing: 'outgoing', o: 'outgoing', ut: 'outgoing', utg: 'outgoing', utgaende: 'outgoing',
  'utgaende samtal': 'outgoing', udgaende: 'outgoing', ausgehend: 'outgoing', abgehend: 'outgoing',
  int: 'internal', internal: 'internal', intern: 'internal', local: 'internal', lokal: 'internal', 'internt samtal': 'internal', internt: 'internal',
};

/** Status values (after `normalName`) → the generic adapter's outcome. */
export const OUTCOME_WORDS: Readonly<Record<string, 'answered' | 'no-answer' | 'busy' | 'failed'>> = {
  answered: 'answered', answer: 'answered', completed: 'answered', complete: 'answered', connected: 'answered', success: 'answered',
  successful: 'answered', ok: 'answered', besvarat: 'answered', besvarad: 'answered', svarat: 'answered', besvart: 'answered',
  angenommen: 'answered', beantwortet: 'answered', yes: 'answered', ja: 'answered',
  'no answer': 'no-answer', noanswer: 'no-answer', 'no-answer': 'no-answer', missed: 'no-answer', 'not answered': 'no-answer',
  unanswered: 'no-answer', cancelled: 'no-answer', canceled: 'no-answer', abandoned: 'no-answer', obesvarat: 'no-answer',
  'ej besvarat': 'no-answer', 'inte besvarat': 'no-answer', missat: 'no-answer', missad: 'no-answer', ubesvart: 'no-answer',
  'nicht angenommen': 'no-answer', verpasst: 'no-answer', no: 'no-answer', nej: 'no-answer', nei: 'no-answer',
  busy: 'busy', upptaget: 'busy', upptagen: 'busy', opptatt: 'busy', optaget: 'busy', besetzt: 'busy',
  failed: 'failed', failure: 'failed', error: 'failed', congestion: 'failed', rejected: 'failed', misslyckat: 'failed', misslyckad: 'failed',
  fel: 'failed', feilet: 'failed', mislykkedes: 'failed', fehlgeschlagen: 'failed', fehler: 'failed',
};

/** "Från-nummer (s)" → "fran nummer s": lower case, diacritics and punctuation gone, single spaces. */
export function normalName(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/gi, 'o')
    .replace(/æ/gi, 'ae')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** How well a column name fits a role: 3 an exact name, 2 a name inside it ("caller number" ⊃ "caller"), 0 none. */
export function nameFit(column: string, role: Role): number {
  const name = splitWords(column);
  const names = ROLE_NAMES[role];
  if (names.includes(name)) return 3;
  // Without the unit: "duration s" / "langd sek" / "duration ms".
  const bare = name.replace(/\s(?:s|sec|secs|sek|seconds|sekunder|ms|min)$/, '');
  if (bare !== name && names.includes(bare)) return 3;
  const words = ` ${name} `;
  return names.some((n) => n.length >= 3 && words.includes(` ${n} `)) ? 2 : 0;
}

/** camelCase and snake_case split into words before normalising: "callerNumber" → "caller number". */
function splitWords(column: string): string {
  return normalName(column.replace(/([a-z])([A-Z])/g, '$1 $2'));
}
