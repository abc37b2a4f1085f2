import { UnknownAdapterError } from '../src/errors.js';
import type { AdapterDefinition } from './types.js';
import asteriskCsv from './asterisk-csv/index.js';
import cucm from './cucm/index.js';
import freeswitchJson from './freeswitch-json/index.js';
import freeswitchXml from './freeswitch-xml/index.js';
import generic from './generic/index.js';
import threeCx from './3cx/index.js';
import twilio from './twilio/index.js';

/** Every adapter, by id. The README's adapter table and `callbridge adapters` are generated from this list. */
export const adapters: readonly AdapterDefinition[] = [asteriskCsv, freeswitchJson, freeswitchXml, cucm, threeCx, twilio, generic];

export function getAdapter(id: string): AdapterDefinition {
  const found = adapters.find((a) => a.id === id);
  if (!found) throw new UnknownAdapterError(id, adapters.map((a) => a.id));
  return found;
}
