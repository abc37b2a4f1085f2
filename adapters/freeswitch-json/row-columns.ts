import type { FsDocument } from './document.js';

type Values = Readonly<Record<string, string | null>>;

/**
 * A FusionPBX v_xml_cdr row without its CDR document → the document its columns were taken from, as far as they
 * tell it (app/xml_cdr/resources/classes/xml_cdr.php xml_array() fills them from the leg's variables and its newest
 * caller profile), so that the leg is read by the same code as a file.
 *
 * What the columns do not keep is lost: the originator and originatee profiles, loopback pairs, transfers, and
 * FusionPBX keeps only `[a-zA-Z0-9-.#*@ ]` of a caller's name and `[0-9-#*]` of a caller's number (`+46…` becomes
 * `46…`). A B leg is tied to its call by `originating_leg_uuid`, else by `bridge_uuid` (a row FusionPBX marks `b`
 * was created for another channel, and its bridge names that channel).
 */
export function fromFusionColumns(values: Values): FsDocument | string {
  const text = (name: string): string | undefined => values[name]?.trim() || undefined;
  const uuid = text('xml_cdr_uuid');
  if (!uuid) return 'no CDR document (json, xml or v_xml_cdr_json) and no xml_cdr_uuid';
  const variables = new Map<string, string>();
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) variables.set(name, value);
  };
  set('uuid', uuid);
  set('originating_leg_uuid', text('originating_leg_uuid') ?? (text('leg') === 'b' ? text('bridge_uuid') : undefined));
  set('start_epoch', text('start_epoch'));
  // FusionPBX writes answer_epoch 0 for a leg nobody answered; `duration` holds billsec since 2023, so the length
  // comes from start and end.
  set('answer_epoch', text('answer_epoch') === '0' ? undefined : text('answer_epoch'));
  set('end_epoch', text('end_epoch'));
  set('billsec', text('billsec'));
  set('hangup_cause', text('hangup_cause'));
  set('call_direction', text('direction'));
  set('record_path', text('record_path'));
  set('record_name', text('record_name'));
  set('last_app', text('last_app'));
  for (const name of ['conference_name', 'conference_uuid', 'conference_member_id']) set(name, text(name));
  // bridge_uuid is the bridge_uuid variable, else the last of bridge_uuids: a channel without one was never bridged.
  if (text('bridge_uuid')) set('bridge_uuid', text('bridge_uuid'));
  else set('bridge_epoch', '0');
  const profile: Record<string, string> = { uuid };
  for (const name of ['caller_id_name', 'caller_id_number', 'destination_number', 'context']) {
    const value = text(name);
    if (value !== undefined) profile[name] = value;
  }
  return { variables, callflows: [{ profile, originators: [], originatees: [], times: {} }], applications: [] };
}
