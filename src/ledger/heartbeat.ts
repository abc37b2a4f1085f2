import os from 'node:os';
import type { Heartbeat } from './ledger.js';

/** How often a running bridge beats. A beat older than three of them means the bridge is gone. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
const BEATS_MISSED = 3;

/** Whether a bridge runs on a ledger, from its heartbeats: the one running (newest beat), or the last one seen. */
export type Presence = { running: true; heartbeat: Heartbeat } | { running: false; heartbeat: Heartbeat | null };

/**
 * Pure: a heartbeat counts as running when it has not stopped, its last beat is younger than three beats, and
 * `isGone` (a local look at the process, when the caller can make one) does not say its process has exited.
 */
export function bridgePresence(heartbeats: readonly Heartbeat[], now: number, isGone: (h: Heartbeat) => boolean = () => false): Presence {
  const running = liveHeartbeats(heartbeats, now, isGone).sort((a, b) => b.beatAt - a.beatAt)[0];
  if (running) return { running: true, heartbeat: running };
  const last = [...heartbeats].sort((a, b) => lastSeen(b) - lastSeen(a))[0] ?? null;
  return { running: false, heartbeat: last };
}

/**
 * Every bridge running on a ledger (the replicas of a shared one), the longest running first: not stopped, beaten
 * within three beats, and not known to be gone (`isGone`, as for bridgePresence). Pure.
 */
export function liveHeartbeats(heartbeats: readonly Heartbeat[], now: number, isGone: (h: Heartbeat) => boolean = () => false): Heartbeat[] {
  return heartbeats
    .filter((h) => h.stoppedAt === null && now - h.beatAt < BEATS_MISSED * h.intervalMs && !isGone(h))
    .sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
}

/** When a bridge was last seen: its clean stop, or its last beat. */
export function lastSeen(h: Heartbeat): number {
  return h.stoppedAt ?? h.beatAt;
}

/**
 * A heartbeat written on this host by a process that no longer exists: its bridge was killed. Only ever evidence of
 * absence (a pid may be reused, so an existing pid proves nothing), and only for this host's processes.
 */
export function processGoneLocally(h: Heartbeat): boolean {
  if (h.host !== os.hostname()) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
