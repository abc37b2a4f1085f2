/**
 * The API gate (src/dstny/gate.ts, ApiGate) against a server whose real limit is LOWER than the configured rate:
 * the emulator (in-process, loopback) refills its token bucket at SERVER requests/s (default burst = SERVER) and
 * answers 429 + Retry-After beyond that, while the gate is configured to CONFIGURED requests/s, concurrency 4.
 * A real DstnyClient posts valid conversations; four loops keep the gate's backlog full for MINUTES, twice in
 * sequence, each against a fresh emulator: once with the adaptive rate (src/dstny/adaptive-rate.ts), once fixed at
 * the configured rate (adaptive: false), the comparison. Measured side by side in one run, after the first minute
 * (the first minute is the adaptive rate finding the limit):
 *
 *   - accepted creations/s ÷ SERVER      adaptive: goal ≥ 0.9   (the server's limit is used, not wasted)
 *   - 429s per minute                    adaptive: goal < 1     (the limit is found, then respected)
 *   - requests started while the gate was paused for a 429, i.e. in [429 + 30 ms, 429 + Retry-After):
 *                                        goal 0, both runs      (a pause stops everything)
 *
 * Per minute it prints accepted/s ÷ SERVER and the 429s of that minute for both runs, and at the end each gate's
 * rate (status().rate). Counts are taken at the client (each request's start and answer); the emulator's own
 * totals are printed beside them as a cross-check.
 *
 * Run: npx tsx bench/api-rate.ts [minutes=3] [server=10] [configured=50]   (about 2 × minutes)
 * Exits 1 when a goal is missed.
 */
import { type EmulatorStatsSnapshot, startEmulator } from '../src/emulator/index.js';
import { DstnyClient } from '../src/dstny/client.js';
import { RateLimitedError } from '../src/dstny/errors.js';
import { ApiGate, type DstnyApi, GateClosedError } from '../src/dstny/gate.js';
import type { RateState } from '../src/dstny/adaptive-rate.js';
import { type ConversationPayload, documentedSample } from '../src/dstny/payload.js';

const args = process.argv.slice(2);
const MINUTES = Number(args[0] ?? 3);
const SERVER = Number(args[1] ?? 10);
const CONFIGURED = Number(args[2] ?? 50);
const CONCURRENCY = 4;
const LOOPS = 4;
const PAUSE_GRACE_MS = 30;
const GOALS = { acceptedRatio: 0.9, rateLimitedPerMinute: 1, startsWhilePaused: 0 };

if (!Number.isInteger(MINUTES) || MINUTES < 2 || !(SERVER > 0) || !(CONFIGURED > 0)) {
  console.error('usage: npx tsx bench/api-rate.ts [minutes>=2] [server>0] [configured>0]');
  process.exit(2);
}

// Bounded in time whatever happens: two runs of MINUTES, plus start-up and shutdown.
setTimeout(() => {
  console.error('bench/api-rate: did not finish in time');
  process.exit(1);
}, (2 * MINUTES + 2) * 60_000).unref();

const fmt = (n: number, digits = 3) => n.toFixed(digits);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface RunResult {
  label: string;
  perMinute: Array<{ accepted: number; rateLimited: number }>;
  /** After the first minute. */
  acceptedPerSecond: number;
  rateLimitedPerMinute: number;
  startsWhilePaused: number;
  rate: RateState;
  totals: { starts: number; accepted: number; rateLimited: number; otherErrors: number };
  emulator: { received: number; accepted: number; rateLimited: number };
}

/** The DstnyClient, noting when each request starts and how it is answered. */
class Recorder implements DstnyApi {
  readonly starts: number[] = [];
  readonly limited: Array<{ at: number; retryAfterMs: number }> = [];
  readonly acceptedAt: number[] = [];
  otherErrors = 0;

  constructor(private readonly client: DstnyClient) {}

  async createConversation(payload: ConversationPayload): Promise<{ conversationId: string | null }> {
    return this.record(() => this.client.createConversation(payload), true);
  }

  async listConversations(query: Record<string, string | string[]>): Promise<unknown[]> {
    return this.record(() => this.client.listConversations(query), false);
  }

  async getByPath(apiPath: string): Promise<unknown | null> {
    return this.record(() => this.client.getByPath(apiPath), false);
  }

  async listUsers(): Promise<unknown[]> {
    return this.record(() => this.client.listUsers(), false);
  }

  private async record<T>(request: () => Promise<T>, creation: boolean): Promise<T> {
    this.starts.push(Date.now());
    try {
      const result = await request();
      if (creation) this.acceptedAt.push(Date.now());
      return result;
    } catch (error) {
      if (error instanceof RateLimitedError) this.limited.push({ at: Date.now(), retryAfterMs: error.retryAfterMs });
      else this.otherErrors++;
      throw error;
    }
  }
}

async function run(label: string, adaptive: boolean): Promise<RunResult> {
  const emu = await startEmulator({ ratePerSecond: SERVER, appearDelayMs: 0, fetchRecordings: false });
  const client = new DstnyClient({ baseUrl: emu.url, token: emu.token, timeoutMs: 5_000 });
  const recorder = new Recorder(client);
  const gate = new ApiGate(recorder, { perSecond: CONFIGURED, concurrency: CONCURRENCY, adaptive });
  let n = 0;
  let stopped = false;
  const payload = (): ConversationPayload => {
    const id = `bench-api-rate-${label}-${++n}`;
    return { ...documentedSample, call_external_id: id, call_recording_url: `http://127.0.0.1:9/recordings/${id}.wav` };
  };
  const loop = async () => {
    while (!stopped) {
      try {
        await gate.createConversation(async () => payload());
      } catch (error) {
        if (error instanceof GateClosedError) return;
        // 429s and anything else are counted by the recorder; the loop keeps the backlog full.
      }
    }
  };

  const t0 = Date.now();
  const loops = Array.from({ length: LOOPS }, loop);
  const perMinute: RunResult['perMinute'] = [];
  let rate: RateState;
  let stats: EmulatorStatsSnapshot;
  try {
    for (let minute = 0; minute < MINUTES; minute++) {
      const from = t0 + minute * 60_000;
      const to = from + 60_000;
      await sleep(to - Date.now());
      const accepted = recorder.acceptedAt.filter((t) => t >= from && t < to).length;
      const rateLimited = recorder.limited.filter((l) => l.at >= from && l.at < to).length;
      perMinute.push({ accepted, rateLimited });
      const { perSecond, reason } = gate.status().rate;
      console.log(
        `  ${label.padEnd(8)} minute ${minute + 1}: accepted ${fmt(accepted / 60, 2)}/s = ${fmt(accepted / 60 / SERVER)} × server, ` +
          `${rateLimited} × 429; gate rate ${perSecond}/s (${reason})`,
      );
    }
  } finally {
    stopped = true;
    rate = gate.status().rate;
    gate.close();
    await Promise.all(loops);
    stats = emu.state.stats();
    await emu.close();
  }

  const later = perMinute.slice(1);
  const acceptedLater = later.reduce((sum, m) => sum + m.accepted, 0);
  const limitedLater = later.reduce((sum, m) => sum + m.rateLimited, 0);
  // A request that started inside a pause: after its 429 (plus a grace for requests already on their way) and
  // before its Retry-After ran out.
  const startsWhilePaused = recorder.starts.filter((s) =>
    recorder.limited.some((l) => s >= l.at + PAUSE_GRACE_MS && s < l.at + l.retryAfterMs),
  ).length;
  return {
    label,
    perMinute,
    acceptedPerSecond: acceptedLater / (later.length * 60),
    rateLimitedPerMinute: limitedLater / later.length,
    startsWhilePaused,
    rate,
    totals: {
      starts: recorder.starts.length,
      accepted: recorder.acceptedAt.length,
      rateLimited: recorder.limited.length,
      otherErrors: recorder.otherErrors,
    },
    emulator: { received: stats.requests.total, accepted: stats.conversations.accepted, rateLimited: stats.responses.rateLimited },
  };
}

async function main(): Promise<number> {
  console.log(
    `bench/api-rate: server limit ${SERVER}/s (token bucket, burst ${SERVER}), gate configured ${CONFIGURED}/s, concurrency ${CONCURRENCY}, ` +
      `${LOOPS} loops keeping the backlog full; ${MINUTES} min adaptive, then ${MINUTES} min fixed (fresh emulator each)`,
  );
  const adaptive = await run('adaptive', true);
  const fixed = await run('fixed', false);

  console.log('');
  console.log('minute   adaptive: accepted/s ÷ server   429s   |   fixed: accepted/s ÷ server   429s');
  for (let i = 0; i < MINUTES; i++) {
    const a = adaptive.perMinute[i]!;
    const f = fixed.perMinute[i]!;
    console.log(
      `${String(i + 1).padStart(6)}   ${fmt(a.accepted / 60 / SERVER).padStart(27)}   ${String(a.rateLimited).padStart(4)}   |   ` +
        `${fmt(f.accepted / 60 / SERVER).padStart(24)}   ${String(f.rateLimited).padStart(4)}`,
    );
  }
  console.log('');
  for (const r of [adaptive, fixed]) {
    console.log(
      `${r.label}: client saw ${r.totals.starts} requests, ${r.totals.accepted} accepted, ${r.totals.rateLimited} × 429, ${r.totals.otherErrors} other errors; ` +
        `emulator received ${r.emulator.received}, accepted ${r.emulator.accepted}, answered ${r.emulator.rateLimited} × 429`,
    );
    console.log(`${r.label}: final gate rate ${r.rate.perSecond}/s of ${r.rate.configuredPerSecond}/s configured (${r.rate.reason})`);
  }
  console.log('');
  console.log(`after the first minute (minutes 2-${MINUTES}):`);
  const ratioA = adaptive.acceptedPerSecond / SERVER;
  const ratioF = fixed.acceptedPerSecond / SERVER;
  const rows: Array<[string, string, string, boolean]> = [
    [
      'accepted rate ÷ server rate',
      `adaptive ${fmt(adaptive.acceptedPerSecond, 2)}/s ÷ ${SERVER}/s = ${fmt(ratioA)}   (fixed ${fmt(ratioF)})`,
      `adaptive ≥ ${GOALS.acceptedRatio}`,
      ratioA >= GOALS.acceptedRatio,
    ],
    [
      '429s per minute',
      `adaptive ${fmt(adaptive.rateLimitedPerMinute, 2)}   (fixed ${fmt(fixed.rateLimitedPerMinute, 2)})`,
      `adaptive < ${GOALS.rateLimitedPerMinute}`,
      adaptive.rateLimitedPerMinute < GOALS.rateLimitedPerMinute,
    ],
    [
      'requests started while paused (whole run)',
      `adaptive ${adaptive.startsWhilePaused}, fixed ${fixed.startsWhilePaused}`,
      `${GOALS.startsWhilePaused}, both`,
      adaptive.startsWhilePaused <= GOALS.startsWhilePaused && fixed.startsWhilePaused <= GOALS.startsWhilePaused,
    ],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const w2 = Math.max(...rows.map((r) => r[2].length));
  for (const [name, value, goal, ok] of rows) console.log(`${name.padEnd(w0)}  ${value.padEnd(w1)}  goal ${goal.padEnd(w2)}  ${ok ? 'ok' : 'MISSED'}`);
  return rows.every((r) => r[3]) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
