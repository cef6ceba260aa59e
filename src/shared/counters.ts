import type { SyncCounters } from './messages';

export function emptyCounters(): SyncCounters {
  return {
    created: 0,
    matched: 0,
    updated: 0,
    unchanged: 0,
    skippedNoEmail: 0,
    failed: 0,
    deleted: 0,
    eventsSent: 0,
    refreshed: 0,
  };
}

export function addCounters(total: SyncCounters, more: Partial<SyncCounters>): void {
  for (const key of Object.keys(total) as (keyof SyncCounters)[]) total[key] += more[key] ?? 0;
}
