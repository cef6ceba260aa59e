import type { Pool } from 'pg';
import { StripePacers, systemClock, type BudgetRequest, type SharedStripeBudget } from '../vendors/stripe-pacer';

/**
 * Stripe budgets in PostgreSQL (migrations 013 and 015): one statement per grant, timed by the database's clock,
 * so every worker and API process on this database draws one account's requests from one budget.
 */
export function postgresStripeBudget(pool: Pool): SharedStripeBudget {
  return {
    async reserve({ account, endpoint, wanted, limits, live }: BudgetRequest) {
      const { rows } = await pool.query<{ wait_ms: number }>(
        'SELECT reserve_stripe_requests($1, $2, $3, $4, $5, $6) AS wait_ms',
        [account, `${account} ${endpoint}`, wanted, limits.accountPerSecond, limits.endpointPerSecond, live],
      );
      const waitMs = rows[0]?.wait_ms ?? 0;
      // Negative: no grant, the endpoint is held for another process's live work for that long.
      return waitMs < 0 ? { deferredMs: -waitMs } : { waitMs };
    },
  };
}

/** Pacers drawing every account's requests from its budget in this database: what every process uses. */
export function sharedStripePacers(pool: Pool): StripePacers {
  return new StripePacers(systemClock, postgresStripeBudget(pool));
}
