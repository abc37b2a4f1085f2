import { isLoopbackAddress } from '../http/admin.js';
import type { PathFinding } from './checks-paths.js';
import type { Config } from './schema.js';

/**
 * Who can read the status page, /status and /metrics. Bound beyond this host without http.admin, they answer only
 * clients on this host and refuse the rest (403): safe, and a warning, since the bridge usually listens on every
 * address for the PBX's hooks (the default and every example do), and an operator elsewhere would only meet a 403.
 */
export function checkAdminExposure(config: Pick<Config, 'http'>): PathFinding[] {
  const { host, admin } = config.http;
  if (admin?.token !== undefined || (admin?.username !== undefined && admin.password !== undefined)) return [];
  if (host === 'localhost' || isLoopbackAddress(host)) return [];
  return [
    {
      severity: 'warning',
      key: 'http.admin',
      message: `http.host ${host} lets other hosts connect, and http.admin is not set: the status page, /status and /metrics answer only clients on this host and refuse the rest (403). To read them from elsewhere, set http.admin.token (e.g. token: "\${CALLBRIDGE_ADMIN_TOKEN}") or http.admin.username and password`,
    },
  ];
}
