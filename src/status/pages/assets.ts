/**
 * The pages' stylesheet and script, served by the bridge itself (no CDN: the bridge often runs where the internet is
 * out of reach, and a page that loads nothing from elsewhere leaks nothing). The script only refreshes the part of a
 * page that says `data-refresh`, by fetching it again: the page never reloads, a scroll position or an open form stays.
 */
export const APP_CSS = `
:root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #6e7781; --line: #d0d7de; --card: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --line: #30363d; --card: #161b22; --muted: #8b949e; } }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; text-decoration: none; color: inherit; }
.search { display: flex; gap: .3rem; flex: 1 1 16rem; max-width: 28rem; }
.search input { flex: 1; min-width: 0; padding: .35rem .5rem; font: inherit; }
main { padding: 1rem; max-width: 72rem; margin: 0 auto; }
h1 { font-size: 1.3rem; margin: 0 0 .6rem; } h2 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
.headline { padding: .7rem 1rem; border-radius: 6px; font-weight: 600; margin-bottom: 1rem; border-left: 6px solid; background: var(--card); }
.headline.ok { border-color: var(--ok); } .headline.warn { border-color: var(--warn); } .headline.bad { border-color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr)); gap: .6rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .55rem .75rem; }
.card .n { font-size: 1.6rem; font-weight: 700; display: block; } .card .l { color: var(--muted); font-size: .85rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .45rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
.scroll { overflow-x: auto; }
.state { font-weight: 600; } .state.confirmed { color: var(--ok); } .state.failed, .state.missing, .state.rejected { color: var(--bad); }
.muted { color: var(--muted); } .num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: var(--card); border: 1px solid var(--line); padding: .6rem; overflow-x: auto; font-size: .85rem; }
code { font-size: .9em; overflow-wrap: anywhere; }
.chart svg { width: 100%; height: auto; max-height: 200px; display: block; }
.legend span { margin-right: 1rem; white-space: nowrap; } .legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; }
.s-accepted { fill: #8c959f; background: #8c959f; } .s-sent { fill: #218bff; background: #218bff; } .s-confirmed { fill: #2da44e; background: #2da44e; } .s-failed { fill: #cf222e; background: #cf222e; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: 1rem; } form.filters label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
form.filters input, form.filters select { font: inherit; padding: .3rem .4rem; }
footer { color: var(--muted); font-size: .85rem; padding: 1rem; text-align: center; }
`;

export const APP_JS = `
(function () {
  var part = document.querySelector('[data-refresh]');
  if (!part || !window.fetch) return;
  var every = Math.max(1000, Number(part.getAttribute('data-every')) || 10000);
  function refresh() {
    fetch(part.getAttribute('data-refresh'), { headers: { accept: 'text/html' }, cache: 'no-store', credentials: 'same-origin' })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(new Error('HTTP ' + res.status)); })
      .then(function (text) { part.innerHTML = text; document.body.setAttribute('data-refreshed', new Date().toISOString()); })
      .catch(function () { document.body.setAttribute('data-refresh-failed', new Date().toISOString()); })
      .then(function () { setTimeout(refresh, every); });
  }
  setTimeout(refresh, every);
})();
`;
