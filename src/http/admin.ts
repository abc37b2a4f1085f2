import { BlockList, isIP } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { type Logger, silentLogger } from '../log/logger.js';
import { checkBasic, checkBearer } from './auth.js';
import type { AdminConfig } from './config.js';

/**
 * Who may see the bridge's insides (/status, /metrics, the detail of /readyz). The bridge usually listens on 0.0.0.0
 * next to the public hooks, so "anyone who reaches the port" is too many: with `http.admin` credentials only a
 * request carrying them passes; without, only a client on this host does.
 */
export type AdminAccess =
  | { ok: true }
  | {
      ok: false;
      /** 401: credentials are configured and missing or wrong. 403: none are configured and the client is not local. */
      status: 401 | 403;
      message: string;
      /** WWW-Authenticate values (one per configured scheme) for 401 answers. */
      challenges?: string[];
    };

export interface AdminRequest {
  header(name: string): string | undefined;
  /** The TCP peer's address (never a header: a client can write any header it likes). */
  remoteAddress: string | undefined;
}

const REALM = 'realm="callbridge admin"';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1, or an IPv4-mapped ::ffff:127.x.y.z (what a dual-stack socket reports): this host. */
export function isLoopbackAddress(address: string | undefined | null): boolean {
  if (!address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  return loopback.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Headers a reverse proxy adds: a request carrying one came from elsewhere even when the proxy on this host made it
 * a loopback connection. Only makes the rule stricter (a client adding one refuses itself); a proxy that adds none
 * cannot be told apart, which is why the README says to set http.admin behind one.
 */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

export const LOCAL_ONLY_MESSAGE =
  'this endpoint answers only clients on the bridge host; to read it from elsewhere set http.admin.token ' +
  '(e.g. token: "${CALLBRIDGE_ADMIN_TOKEN}") and send Authorization: Bearer <token>, or set http.admin.username and password';

export function checkAdminAccess(admin: AdminConfig | undefined, req: AdminRequest): AdminAccess {
  const authorization = req.header('authorization');
  const token = admin?.token;
  const basic = admin?.username !== undefined && admin.password !== undefined ? { username: admin.username, password: admin.password } : null;
  if (token === undefined && basic === null) {
    const proxied = PROXY_HEADERS.some((h) => req.header(h) !== undefined);
    return isLoopbackAddress(req.remoteAddress) && !proxied ? { ok: true } : { ok: false, status: 403, message: LOCAL_ONLY_MESSAGE };
  }
  const challenges = [...(token !== undefined ? [`Bearer ${REALM}`] : []), ...(basic ? [`Basic ${REALM}, charset="UTF-8"`] : [])];
  // The scheme the client chose decides which credential is compared; both stay constant-time (auth.ts).
  const wantsBasic = /^Basic[ \t]/i.test(authorization ?? '');
  const result =
    basic && (wantsBasic || token === undefined)
      ? checkBasic(basic.username, basic.password, authorization, REALM)
      : checkBearer(token as string, authorization, REALM);
  if (result.ok) return result;
  const missing = !authorization;
  const message = missing
    ? `this endpoint needs the credentials of http.admin (${[token !== undefined ? 'Authorization: Bearer <token>' : '', basic ? 'HTTP basic auth' : ''].filter(Boolean).join(' or ')})`
    : 'the admin credentials are not valid';
  return { ok: false, status: 401, message, challenges };
}

export interface AdminGuardOptions {
  admin?: AdminConfig;
  /** The peer address of a request; tests stand in a non-loopback one. Default: the socket's. */
  remoteAddress?: (req: Request) => string | undefined;
  logger?: Logger;
}

/** Whether a request may see internals (no answer sent): for /readyz, which answers everyone but details only these. */
export function adminAllowed(opts: AdminGuardOptions): (req: Request) => boolean {
  const address = opts.remoteAddress ?? socketAddress;
  return (req) => checkAdminAccess(opts.admin, { header: (n) => req.get(n), remoteAddress: address(req) }).ok;
}

/** Middleware: passes admitted requests on, answers the others 401 (with WWW-Authenticate) or 403. */
export function adminGuard(opts: AdminGuardOptions): RequestHandler {
  const log = (opts.logger ?? silentLogger()).child({ component: 'admin' });
  const address = opts.remoteAddress ?? socketAddress;
  return (req, res, next) => {
    const remoteAddress = address(req);
    const access = checkAdminAccess(opts.admin, { header: (n) => req.get(n), remoteAddress });
    if (access.ok) {
      next();
      return;
    }
    // Neither the path (it may hold the Dstny webhook's path secret) nor any header (credentials) is logged.
    log.debug(`refused an admin request from ${remoteAddress ?? 'an unknown address'} (${access.status})`);
    if (access.challenges) res.set('WWW-Authenticate', access.challenges);
    res.status(access.status).json({ error: access.message });
  };
}

function socketAddress(req: Request): string | undefined {
  return req.socket.remoteAddress;
}
