import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { DstnyClient } from '../dstny/client.js';
import { ApiGate } from '../dstny/gate.js';
import { type EmulatorHandle, startEmulator } from '../emulator/index.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { registerSecret } from '../log/redact.js';
import { definePart } from './lifecycle.js';
import { seedSandbox } from './sandbox.js';
import type { Telemetry } from '../telemetry.js';

/**
 * The Dstny API behind its gate. Without a token this is the sandbox: the built-in emulator is started and
 * stands in for Dstny, and the sample CDRs are seeded, so a fresh `npm start` has calls to deliver.
 */
export const apiPart = definePart({
  name: 'api',
  summary: 'The Dstny API client behind the gate every request passes (rate, 429 pauses); in sandbox mode the built-in emulator stands in for Dstny.',
  async build({ config, logger, ledger, telemetry }: { config: Config; logger: Logger; ledger: Pick<Ledger, 'stats'>; telemetry: Telemetry }) {
    let emulator: EmulatorHandle | null = null;
    let { baseUrl, token } = config.dstny;
    // The webhook receiver needs a secret path; the emulator can be told it, a real Dstny account is configured by hand.
    const webhookSecret = config.webhook.secret ?? (token ? undefined : randomBytes(24).toString('base64url'));
    registerSecret(webhookSecret);
    if (!token) {
      emulator = await startEmulator({ ...config.emulator, logger: logger.child({ component: 'emulator' }) });
      baseUrl = emulator.url;
      token = emulator.token;
      registerSecret(token);
      const banner = '*'.repeat(78);
      logger.warn(
        `\n${banner}\n  SANDBOX MODE: no DSTNY_API_TOKEN is set. Calls go to the built-in Dstny EMULATOR at ${emulator.url},\n  a test double; nothing reaches Dstny. Set DSTNY_API_TOKEN to deliver to the real API.\n${banner}`,
      );
      seedSandbox(config, logger, ledger);
    }
    const client = new DstnyClient({ baseUrl, token, timeoutMs: config.dstny.timeoutMs, maxPauseMs: config.submit.maxPauseMs, telemetry });
    const gate = new ApiGate(client, { ...config.submit.rateLimit, concurrency: config.submit.concurrency, logger });
    return {
      mode: emulator ? ('sandbox' as const) : ('live' as const),
      baseUrl,
      gate,
      emulator,
      webhookSecret,
      async stop() {
        gate.close();
        await emulator?.close();
      },
    };
  },
});
