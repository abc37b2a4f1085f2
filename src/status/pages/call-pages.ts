import { type LedgerRow, rowStates } from '../../ledger/ledger.js';
import { type CallView, compactedText, historyLine } from '../call-view.js';
import { shownText } from './dashboard.js';
import { html, page, when } from './html.js';

/** /calls/<id>: one call end to end, as `callbridge inspect` shows it; paths and link secrets cut. Pure. */
export function callPage(view: CallView): string {
  const shown = (value: unknown) => shownText(JSON.stringify(value, null, 2) ?? 'null');
  const facts: Array<[string, unknown]> = [
    ['source', `${view.sourceId}${view.location ? ` (${shownText(view.location)})` : ''}`],
    ['taken', when(view.takenAt)],
    ['due', when(view.dueAt)],
    ['sent', when(view.submittedAt)],
    ['confirmed', when(view.confirmedAt)],
    ['conversation', view.conversationId],
    ['reason', view.reason === null ? null : shownText(view.reason)],
    ['attempts', view.attempts],
  ];
  return page(
    `call ${view.externalId}`,
    html`<main>
<h1>Call ${view.externalId}</h1>
<p id="call-state"><span class="state ${view.state}">${view.state}</span> — ${view.meaning}</p>
<div class="scroll"><table id="call-facts"><tbody>${facts
      .filter(([, v]) => v !== null && v !== '')
      .map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</tbody></table></div>
<h2>What to do</h2>
<p id="next">${shownText(view.next)}</p>
<h2>History</h2>
${
  view.compactedAt
    ? html`<p class="muted" id="history">${compactedText(view.compactedAt)}</p>`
    : view.history.length
    ? html`<div class="scroll"><table id="history"><thead><tr><th>time</th><th>what happened</th></tr></thead><tbody>${view.history.map(
        (e) => html`<tr><td>${when(e.at)}</td><td>${shownText(historyLine(e))}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted" id="history">Nothing yet: no request was made for it.</p>`
}
<h2>Payload</h2>
<pre id="payload">${view.compactedAt ? compactedText(view.compactedAt) : view.payload === null ? '(none: it was never made into a request)' : shown(view.payload)}</pre>
<h2>Call record</h2>
<pre id="record">${view.compactedAt ? compactedText(view.compactedAt) : shown(view.record)}</pre>
</main>`,
  );
}

export interface SearchForm {
  q: string;
  since: string;
  until: string;
  state: string;
}

/** /calls: the search form and the calls it found (the newest first). Pure. */
export function searchPage(form: SearchForm, rows: LedgerRow[] | null, problem: string | null, limit: number): string {
  return page(
    'calls',
    html`<main>
<h1>Calls</h1>
<form class="filters" action="/calls" method="get">
<label>id, number or email<input name="q" value="${form.q}"></label>
<label>taken since<input name="since" value="${form.since}" placeholder="24h or 2026-12-01"></label>
<label>before<input name="until" value="${form.until}" placeholder="2026-12-07T12:00"></label>
<label>state<select name="state"><option value="">any</option>${rowStates.map((s) => html`<option${s === form.state ? html` selected` : ''}>${s}</option>`)}</select></label>
<button>Search</button>
</form>
${problem ? html`<p class="headline bad">${problem}</p>` : ''}
${
  rows === null
    ? ''
    : rows.length
      ? html`<div class="scroll"><table id="results"><thead><tr><th>taken</th><th>call</th><th>state</th><th>started</th><th>reason</th></tr></thead><tbody>${rows.map(
          (r) =>
            html`<tr><td>${when(new Date(r.createdAt).toISOString())}</td><td><a href="/calls/${encodeURIComponent(r.externalId)}">${r.externalId}</a></td><td class="state ${r.state}">${r.state}</td><td>${r.payload?.call_start_time ?? ''}</td><td>${r.reason === null ? '' : shownText(r.reason)}</td></tr>`,
        )}</tbody></table></div><p class="muted">${rows.length} call(s)${rows.length === limit ? ' (the newest; narrow the search to see others)' : ''}</p>`
      : html`<p id="results">No call matches.</p>`
}
</main>`,
  );
}
