import type { Pool } from 'pg';
import type { Client } from '@temporalio/client';
import { temporalUiUrl, type Config } from '../config';
import type { Logger } from '../logger';
import { secretBoxFor } from '../crypto/secret-box';
import { InstallWorkflows } from '../temporal-client/workflows';
import { InstallContexts } from './install-context';
import { createImportActivities } from './import-page';
import { createSyncActivities } from './sync-customers';
import { createCatchUpActivities } from './catch-up';
import { createPendingEventActivities } from './pending-events';
import type { StripePacers } from '../vendors/stripe-pacer';
import { createPreviewActivities } from './preview';
import { SessionStore } from '../auth/sessions';
import { sessionSigner } from '../auth/signing';

/** Everything activities need, passed explicitly (no module-level clients). */
export interface ActivityDeps {
  config: Config;
  pool: Pool;
  /** Holds sync batches' advisory locks only (src/db/locks.ts); never the pool itself. */
  lockPool: Pool;
  logger: Logger;
  temporal: Client;
  /** The worker's Stripe pacers: every activity's Stripe calls share each account's budget through them. */
  stripePacers?: StripePacers;
}

export function createInstallContexts(deps: Pick<ActivityDeps, 'config' | 'pool' | 'stripePacers'>): InstallContexts {
  return new InstallContexts({
    pool: deps.pool,
    config: deps.config,
    stripePacers: deps.stripePacers,
    secrets: secretBoxFor(deps.config),
  });
}

export function createInstallWorkflows(deps: Pick<ActivityDeps, 'config' | 'temporal'>): InstallWorkflows {
  return new InstallWorkflows({
    client: deps.temporal,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    temporalUiUrl: temporalUiUrl(deps.config),
  });
}

export function createActivities(deps: ActivityDeps) {
  const contexts = createInstallContexts(deps);
  const workflows = createInstallWorkflows(deps);
  return {
    ...createImportActivities({ pool: deps.pool, contexts }),
    ...createSyncActivities({ pool: deps.pool, lockPool: deps.lockPool, contexts }),
    ...createCatchUpActivities({ pool: deps.pool, contexts, workflows }),
    ...createPendingEventActivities({ pool: deps.pool }),
    ...createPreviewActivities({
      pool: deps.pool,
      config: deps.config,
      secrets: secretBoxFor(deps.config),
      sessions: new SessionStore(deps.pool, sessionSigner(deps.config)),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
