import { spanText } from '../report.js';

/** Markup that is already safe to put into a page (built by `html`, never from outside text). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A template whose values are escaped unless they are Html; arrays are joined, and null, undefined and false
 * leave nothing. Every page is built with it, so no text from a CDR, a reason or the API reaches the page as markup.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += part(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

function part(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(part).join('');
  return escapeHtml(value);
}

/** A whole page: the bridge's own stylesheet and script, nothing from elsewhere. */
export function page(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/app.js" defer></script>
</head>
<body>
<header><a href="/" class="brand">callbridge</a><form action="/calls" method="get" class="search" role="search"><input name="q" type="search" placeholder="id, number or email" aria-label="Search calls"><button>Search</button></form></header>
${body}
</body>
</html>
`.text;
}

/** "2026-12-07 06:02:13 UTC". */
export function when(iso: string | null | undefined): string {
  if (!iso) return '';
  return `${iso.slice(0, 19).replace('T', ' ')} UTC`;
}

/** "3 min ago", "in 2 h" (from `now`). */
export function ago(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  return ms > 0 ? `in ${spanText(ms)}` : `${spanText(ms)} ago`;
}
