import type { Pool } from 'pg';
import type { Config } from '../config';
import { deleteHandledEventsOlderThan } from '../db/events';
import type { Logger } from '../logger';

const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Deletes stored Stripe event payloads after EVENT_RETENTION_DAYS, at start and then hourly, in every worker process.
 *
 * A timer rather than a Temporal schedule: pruning is one idempotent DELETE with nothing to resume or order, so
 * running it in two workers at once, or missing a run while none is up, costs nothing. A schedule would add a
 * workflow, an activity and schedule management to every install path for no durability gained.
 * Returns how to stop it (waits for a run in progress).
 */
export function startEventRetention(deps: {
  pool: Pool;
  config: Pick<Config, 'EVENT_RETENTION_DAYS'>;
  logger: Logger;
}): () => Promise<void> {
  const { pool, config, logger } = deps;
  let running: Promise<void> = Promise.resolve();
  const prune = () => {
    running = deleteHandledEventsOlderThan(pool, config.EVENT_RETENTION_DAYS).then(
      (deleted) => {
        if (deleted > 0) logger.info({ deleted, days: config.EVENT_RETENTION_DAYS }, 'old Stripe events pruned');
      },
      (err: unknown) => logger.warn({ err }, 'pruning old Stripe events failed; next try in an hour'),
    );
  };
  prune();
  const timer = setInterval(prune, PRUNE_EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
