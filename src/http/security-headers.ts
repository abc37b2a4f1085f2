import type { ServerResponse } from 'node:http';

/**
 * Headers every answer of the bridge carries, set before any router runs so that 404s, errors and the 503 of a
 * bridge still starting have them too. Every answer is specific to its request (status, a hook's outcome, a signed
 * recording), so nothing may be cached; a route that needs another Cache-Control sets its own over this one.
 * No framework banner: X-Powered-By is switched off on every express app the server runs (app.ts).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  // Only frame-ancestors: a wider policy could stop a browser from playing a recording it opens directly.
  'Content-Security-Policy': "frame-ancestors 'none'",
  'Cache-Control': 'no-store',
};

export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}
