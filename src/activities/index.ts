import type { Pool } from 'pg';
import type { Client } from '@temporalio/client';
import { encryptionKeyBytes, type Config } from '../config';
import type { Logger } from '../logger';
import { createSecretBox } from '../crypto/secret-box';
import { InstallContexts } from './install-context';
import { createImportActivities } from './import-page';
import { createSyncActivities } from './sync-customers';

/** Everything activities need, passed explicitly (no module-level clients). */
export interface ActivityDeps {
  config: Config;
  pool: Pool;
  logger: Logger;
  temporal: Client;
}

export function createActivities(deps: ActivityDeps) {
  const contexts = new InstallContexts({
    pool: deps.pool,
    config: deps.config,
    secrets: createSecretBox(encryptionKeyBytes(deps.config)),
  });
  return {
    ...createImportActivities({ pool: deps.pool, contexts }),
    ...createSyncActivities({ pool: deps.pool, contexts }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
