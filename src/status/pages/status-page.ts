import { rowStates } from '../../ledger/ledger.js';
import { backlogText, sourceState } from '../report.js';
import type { Dashboard } from './dashboard.js';
import { ago, Html, html, page, when } from './html.js';

/** The one line above everything: are calls flowing, and if not, the first thing in the way. */
export function headline(d: Dashboard): { level: 'ok' | 'warn' | 'bad'; text: string } {
  const { report, now } = d;
  const s = report.submitter;
  if (s?.state === 'halted') return { level: 'bad', text: `Submission halted: ${s.reason ?? 'Dstny refuses the API token'}. Nothing is sent (nothing is lost) until the token works again.` };
  if (s?.state === 'stopped') return { level: 'bad', text: 'The submitter is stopped: the bridge is shutting down.' };
  if (s?.state === 'quota') return { level: 'warn', text: `Held by the daily quota: ${report.quota.used} of ${report.quota.limit} used; sending again ${ago(report.quota.resetsAt, now)} (${when(report.quota.resetsAt)}).` };
  if (report.api?.pausedUntil) return { level: 'warn', text: `Paused: Dstny asked to wait (429) until ${when(report.api.pausedUntil)} (${ago(report.api.pausedUntil, now)}).` };
  const down = report.sources.filter((src) => !src.running);
  if (down.length) return { level: 'bad', text: `Not running: source ${down.map((src) => src.id).join(', ')}${down[0]?.lastProblem ? ` (${down[0].lastProblem})` : ''}.` };
  const problem = report.sources.find((src) => src.lastProblem);
  if (problem) return { level: 'warn', text: `Source ${problem.id}: ${problem.lastProblem}` };
  if (d.delivered.lastHour) return { level: 'ok', text: `Calls are flowing: ${d.delivered.lastHour} delivered in the last hour.` };
  return { level: 'ok', text: 'Running. No call was delivered in the last hour.' };
}

/** The status page's refreshing part. Pure. */
export function statusMain(d: Dashboard): Html {
  const { report, now } = d;
  const counts = report.ledger.counts;
  const waiting = counts.pending + counts.prepare + counts.held + counts.verify + counts.submitting;
  const line = headline(d);
  const due = report.ledger.oldestDue;
  return html`<div class="headline ${line.level}" id="headline">${line.text}</div>
<section class="cards" aria-label="Summary">
<div class="card"><span class="n" id="delivered-hour">${d.delivered.lastHour}</span><span class="l">delivered in the last hour</span></div>
<div class="card"><span class="n" id="delivered-day">${d.delivered.last24h}</span><span class="l">delivered in 24 h</span></div>
<div class="card"><span class="n">${waiting}</span><span class="l">on their way (pending, held, being sent)</span></div>
<div class="card"><span class="n">${counts.submitted}</span><span class="l">sent, not yet listed at Dstny</span></div>
<div class="card"><span class="n" id="trouble">${counts.failed + counts.missing}</span><span class="l">failed or missing</span></div>
<div class="card"><span class="n">${due ? ago(due.nextAttemptAt, now).replace(' ago', '') : '–'}</span><span class="l">${due ? html`oldest due: <a href="/calls/${encodeURIComponent(due.externalId)}">${due.externalId}</a>` : 'nothing is due'}</span></div>
</section>
<h2>Calls per hour (last 24 h, UTC)</h2>
${chart(d)}
<h2>Submitter</h2>
${submitter(d)}
<h2>Calls that need you</h2>
${problems(d)}
<h2>Sources</h2>
${sources(d)}
${replicas(d)}
<h2>Rows by state</h2>
<div class="scroll"><table><tbody>${rowStates.map((state) => html`<tr><th scope="row"><a href="/calls?state=${state}">${state}</a></th><td class="num">${counts[state]}</td></tr>`)}</tbody></table></div>
<footer>callbridge ${report.version} · ${report.mode}${report.apiBaseUrl ? html` · API ${report.apiBaseUrl}` : ''} · updated ${when(new Date(now).toISOString())} · <a href="/status">JSON</a> · <a href="/metrics">metrics</a></footer>`;
}

const SERIES = ['accepted', 'sent', 'confirmed', 'failed'] as const;

/** A bar chart in SVG: four bars per hour, the hour's numbers in each bar's tooltip. */
function chart(d: Dashboard): Html {
  // A viewBox about 4:1, so that the bars stay readable when a phone shrinks it to its width.
  const W = 40;
  const H = 200;
  const max = Math.max(1, ...d.hours.flatMap((h) => SERIES.map((s) => h[s])));
  const bars = d.hours.map((h, i) => {
    const label = `${new Date(h.hour).toISOString().slice(11, 13)}:00`;
    const tip = `${label} UTC: ${SERIES.map((s) => `${h[s]} ${s}`).join(', ')}`;
    return html`<g><title>${tip}</title>${SERIES.map((s, k) => {
      const height = Math.round((h[s] / max) * H);
      return html`<rect class="s-${s}" x="${i * W + 4 + k * 8}" y="${H - height}" width="7" height="${height}"></rect>`;
    })}${i % 4 === 0 ? html`<text x="${i * W + 4}" y="${H + 22}" font-size="20" fill="currentColor">${label}</text>` : ''}</g>`;
  });
  const total = (s: (typeof SERIES)[number]) => d.hours.reduce((n, h) => n + h[s], 0);
  return html`<figure class="chart" id="chart"><svg viewBox="0 0 ${d.hours.length * W} ${H + 28}" role="img" aria-label="Calls per hour: ${SERIES.map((s) => `${total(s)} ${s}`).join(', ')} in 24 h">${bars}</svg>
<figcaption class="legend">${SERIES.map((s) => html`<span><i class="s-${s}"></i>${s} ${total(s)}</span>`)}</figcaption></figure>`;
}

function submitter(d: Dashboard): Html {
  const { report, now } = d;
  const s = report.submitter;
  const q = report.quota;
  const quota = q.limit ? html`${q.used} of ${q.limit} conversations today (${Math.round((100 * q.used) / q.limit)} %); counts again ${ago(q.resetsAt, now)}` : html`${q.used} conversations today (no daily quota set)`;
  const api = report.api;
  return html`<div class="scroll"><table><tbody>
<tr><th scope="row">state</th><td id="submitter-state"><span class="state">${s?.state ?? 'not running'}</span>${s?.reason ? html` — ${s.reason}` : ''}</td></tr>
${api?.pausedUntil ? html`<tr><th scope="row">paused until</th><td>${when(api.pausedUntil)} (${ago(api.pausedUntil, now)})${api.pauseReason ? html` — ${api.pauseReason}` : ''}</td></tr>` : ''}
<tr><th scope="row">daily quota</th><td>${quota}</td></tr>
${report.backlog?.waiting ? html`<tr><th scope="row">backlog</th><td id="backlog">${backlogText(report.backlog, when)}</td></tr>` : ''}
${s ? html`<tr><th scope="row">queue</th><td>${s.queued} queued, ${s.inFlight} in flight, ${s.sent} sent since start</td></tr>` : ''}
${api ? html`<tr><th scope="row">request rate</th><td>${api.rate.perSecond}/s of ${api.rate.configuredPerSecond}/s (${api.rate.reason}); ${api.rateLimited} × 429 since start</td></tr>` : ''}
</tbody></table></div>`;
}

function problems(d: Dashboard): Html {
  if (!d.problems.length) return html`<p class="muted" id="problems">None: no call is failed, missing or rejected.</p>`;
  const more = d.problemsShown < d.report.ledger.counts.failed + d.report.ledger.counts.missing + d.report.ledger.counts.rejected;
  return html`<div class="scroll"><table id="problems"><thead><tr><th>state</th><th class="num">calls</th><th>reason</th><th>calls (newest)</th></tr></thead><tbody>
${d.problems.map(
  (g) => html`<tr><td class="state ${g.state}">${g.state}</td><td class="num">${g.count}</td><td>${g.reason}</td><td>${g.ids.map((id, i) => html`${i ? ', ' : ''}<a href="/calls/${encodeURIComponent(id)}">${id}</a>`)}${g.count > g.ids.length ? html` <a href="/calls?state=${g.state}">…all</a>` : ''}</td></tr>`,
)}
</tbody></table></div>${more ? html`<p class="muted">Grouped from the newest ${d.problemsShown}.</p>` : ''}`;
}

function sources(d: Dashboard): Html {
  const { now } = d;
  return html`<div class="scroll"><table id="sources"><thead><tr><th>source</th><th>state</th><th>last input</th><th>behind</th><th>last problem</th></tr></thead><tbody>
${d.report.sources.map(
  (s) => html`<tr><td>${s.id} <span class="muted">${s.type}, ${s.adapter}</span></td><td class="state">${sourceState(s)}</td><td>${s.lastInput ? html`${s.lastInput.name} <span class="muted">${ago(s.lastInput.at, now)}</span>` : html`<span class="muted">none since start</span>`}</td><td class="num">${s.lagBytes === null || s.lagBytes === undefined ? '' : `${s.lagBytes} bytes`}</td><td>${s.lastProblem ?? ''}</td></tr>`,
)}
</tbody></table></div>`;
}

/** The bridges on a shared ledger, each with what it holds; nothing for a bridge on its own. */
function replicas(d: Dashboard): Html {
  const all = d.report.replicas ?? [];
  if (all.length < 2) return html``;
  return html`<h2>Replicas</h2>
<div class="scroll"><table id="replicas"><thead><tr><th>host</th><th>pid</th><th>since</th><th>last beat</th><th>holds</th></tr></thead><tbody>
${all.map(
  (r) => html`<tr><td>${r.host}${r.self ? html` <span class="muted">(this one)</span>` : ''}</td><td class="num">${r.pid}</td><td>${when(r.startedAt)}</td><td>${ago(r.lastBeatAt, d.now)}</td><td>${r.roles.length ? r.roles.join(', ') : html`<span class="muted">no role (takes hooks)</span>`}</td></tr>`,
)}
</tbody></table></div>`;
}

/** The whole status page: its main part refreshes itself every `refreshSec`. */
export function statusPage(d: Dashboard, refreshSec: number): string {
  return page(
    `callbridge: ${headline(d).text}`,
    html`<main data-refresh="/?part=main" data-every="${refreshSec * 1000}">${statusMain(d)}</main>`,
  );
}
