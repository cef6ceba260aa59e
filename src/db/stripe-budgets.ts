import type { Pool } from 'pg';
import { StripePacers, systemClock, type BudgetRequest, type SharedStripeBudget } from '../vendors/stripe-pacer';

/**
 * Stripe budgets in PostgreSQL (migration 013): one statement per grant, timed by the database's clock,
 * so every worker and API process on this database draws one account's requests from one budget.
 */
export function postgresStripeBudget(pool: Pool): SharedStripeBudget {
  return {
    async reserve({ account, endpoint, wanted, limits }: BudgetRequest) {
      const { rows } = await pool.query<{ wait_ms: number }>(
        'SELECT reserve_stripe_requests($1, $2, $3, $4, $5) AS wait_ms',
        [account, `${account} ${endpoint}`, wanted, limits.accountPerSecond, limits.endpointPerSecond],
      );
      return { waitMs: rows[0]?.wait_ms ?? 0 };
    },
  };
}

/** Pacers drawing every account's requests from its budget in this database: what every process uses. */
export function sharedStripePacers(pool: Pool): StripePacers {
  return new StripePacers(systemClock, postgresStripeBudget(pool));
}
