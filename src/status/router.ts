import { Router } from 'express';
import { Gauge, Registry } from 'prom-client';
import { rowStates } from '../ledger/ledger.js';
import { redactStatusReport } from './redact-paths.js';
import type { StatusReport } from './report.js';

/**
 * GET /status (JSON) and GET /metrics (Prometheus text), both computed on request from the same report.
 * The bridge mounts this router behind the admin check (src/http/admin.ts: http.admin credentials, or loopback
 * clients only); still, /status shows reasons and source problems with their absolute paths cut to the file name
 * (redactPaths); `callbridge status`, run on the host, reads the ledger and keeps them whole.
 */
export function createStatusRouter(report: () => Promise<StatusReport>): Router {
  const registry = new Registry();
  let last: StatusReport | null = null;
  const refresh = async () => {
    last = await report();
    return last;
  };
  new Gauge({
    name: 'callbridge_rows',
    help: 'Ledger rows by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const state of rowStates) this.set({ state }, last?.ledger.counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'callbridge_oldest_due_seconds',
    help: 'How long the oldest due row has been waiting (0 when none is due)',
    registers: [registry],
    collect() {
      const due = last?.ledger.oldestDue;
      this.set(due ? Math.max(0, (Date.now() - Date.parse(due.nextAttemptAt)) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'callbridge_submitter_state',
    help: 'Submitter state (1 for the current one)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const state of ['running', 'paused', 'halted', 'quota', 'stopped']) this.set({ state }, last?.submitter?.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'callbridge_submitted_total',
    help: 'Conversations created by this process since it started',
    registers: [registry],
    collect() {
      this.set(last?.submitter?.sent ?? 0);
    },
  });
  new Gauge({
    name: 'callbridge_recordings_state',
    help: 'State of the recordings made ready before sending (1 for the current one; all 0 when nothing needs making ready)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const state of ['running', 'failing', 'stopped']) this.set({ state }, last?.recordings?.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'callbridge_recordings_merged_total',
    help: 'Two-file recordings this process merged into one stereo file (recordings.split)',
    registers: [registry],
    collect() {
      this.set(last?.recordings?.merged ?? 0);
    },
  });
  new Gauge({
    name: 'callbridge_recordings_converted_total',
    help: 'Recordings this process converted (recordings.convert)',
    registers: [registry],
    collect() {
      this.set(last?.recordings?.converted ?? 0);
    },
  });
  new Gauge({
    name: 'callbridge_recordings_uploaded_total',
    help: 'Recordings this process uploaded to the bucket (those found there already are not counted)',
    registers: [registry],
    collect() {
      this.set(last?.recordings?.uploaded ?? 0);
    },
  });
  new Gauge({
    name: 'callbridge_recording_upload_bytes_total',
    help: 'Bytes of recordings this process uploaded to the bucket',
    registers: [registry],
    collect() {
      this.set(last?.recordings?.bytes ?? 0);
    },
  });
  new Gauge({
    name: 'callbridge_recordings_deleted_total',
    help: 'Recordings this process deleted from the bucket (recordings.upload.deleteAfterDays)',
    registers: [registry],
    collect() {
      this.set(last?.recordings?.deleted ?? 0);
    },
  });
  new Gauge({
    name: 'callbridge_api_paused',
    help: 'The API gate is paused for a 429 (1) or not (0)',
    registers: [registry],
    collect() {
      this.set(last?.api?.pausedUntil ? 1 : 0);
    },
  });
  new Gauge({
    name: 'callbridge_api_rate_per_second',
    help: 'Requests per second the API gate uses now (lowered after 429s, at most the configured rate)',
    registers: [registry],
    collect() {
      this.set(last?.api?.rate.perSecond ?? 0);
    },
  });
  new Gauge({
    name: 'callbridge_api_rate_limited_total',
    help: '429 answers from Dstny since this process started',
    registers: [registry],
    collect() {
      this.set(last?.api?.rateLimited ?? 0);
    },
  });
  new Gauge({
    name: 'callbridge_source_running',
    help: 'Source runner running (1) or not (0)',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      for (const s of last?.sources ?? []) this.set({ source: s.id }, s.running ? 1 : 0);
    },
  });

  const router = Router();
  router.get('/status', async (_req, res) => {
    res.json(redactStatusReport(await refresh()));
  });
  router.get('/metrics', async (_req, res) => {
    await refresh();
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
