import type { Pool } from 'pg';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Logger } from '../logger';

/** Everything activities need, passed explicitly (no module-level clients). */
export interface ActivityDeps {
  config: Config;
  pool: Pool;
  logger: Logger;
  temporal: Client;
}

// Filled in by the import/sync work; the worker registers whatever this returns.
export function createActivities(_deps: ActivityDeps) {
  return {};
}

export type Activities = ReturnType<typeof createActivities>;
