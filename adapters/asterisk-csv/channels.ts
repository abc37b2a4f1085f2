/**
 * Asterisk channel names, read for what they say about a call's parties.
 *
 * A Local channel is a pair of halves, `Local/<exten>@<context>-<id>;1` and `…;2`. Whoever dials
 * `Local/<exten>@<context>` talks to the `;1` half; the `;2` half runs the dialplan at exten@context on the
 * caller's behalf, with the caller's caller id. So the `;1` half stands for the party that was dialled (a queue
 * member, a ring-group phone, an outside number dialled through a trunk context), and a row written by the `;2`
 * half is the same call seen from the callee's side. FreePBX dials queue members as `Local/2001@from-queue`,
 * ring groups and follow-me as `Local/2001@from-internal`; CRMs originate click-to-call to `Local/<ext>@…`.
 *
 * Any other channel (`PJSIP/2001-0000001a`, `SIP/telia-00000d02`, `DAHDI/1-1`) is a device: a phone or a
 * trunk, which only the `extensionFromChannel` pattern and the normalize rules can tell apart.
 */

export interface LocalChannel {
  exten: string;
  context: string;
  /** Both halves share it. */
  pair: string;
  half: 1 | 2;
}

// `-<id>` is the channel's hexadecimal counter (8 digits since Asterisk 12, 4 before); the context may itself
// contain dashes (from-queue), hence the anchored, backtracking match.
const LOCAL = /^Local\/([^@;]*)@(.+)-([0-9a-f]+);([12])$/i;

/** The Local channel a name denotes; undefined for any other channel (a device) or none. */
export function localChannel(name: string | undefined): LocalChannel | undefined {
  // Most rows name devices: one character test before the expression.
  if (!name || (name.charCodeAt(0) | 0x20) !== 0x6c /* l */) return undefined;
  const local = LOCAL.exec(name);
  if (!local) return undefined;
  const [, exten = '', context = '', id = ''] = local;
  return { exten, context, pair: `Local/${exten}@${context}-${id}`, half: local[4] === '1' ? 1 : 2 };
}

/** The other half of a Local channel's pair: the row of `;2` holds the answer of the party `;1` stands for. */
export function otherHalf(channel: LocalChannel): string {
  return `${channel.pair};${channel.half === 1 ? 2 : 1}`;
}
