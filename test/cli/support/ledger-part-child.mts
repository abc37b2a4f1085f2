/**
 * The ledger part of a bridge, alone in its own process, for the heartbeat tests: built and started from a config
 * file, it beats until SIGTERM (a clean stop) or SIGKILL (a crash). argv: <config file>
 */
import { ledgerPart } from '../../../src/bridge/ledger.js';
import { loadConfig } from '../../../src/config/load.js';

const { config } = loadConfig(process.argv[2]!);
const part = await ledgerPart.build({ config });
await part.start();
// The heartbeat's timer never holds the process: this one does, as the rest of a bridge would.
const alive = setInterval(() => undefined, 60_000);
process.on('SIGTERM', () => {
  clearInterval(alive);
  void part.stop().then(() => process.exit(0));
});
process.stdout.write('beating\n');
