import type { Pool } from 'pg';
import { cancelRunningImports, createImport } from '../db/imports';
import { findInstall } from '../db/installs';
import { newImportId, type InstallWorkflows } from '../temporal-client/workflows';

export interface ResyncRequest {
  /** The import now rebuilding the install's state (a running one is reused), or null when none was started. */
  importId: string | null;
  started: boolean;
}

/**
 * Starts a backfill when events may have been lost beyond Stripe's 30-day window: attributes are rebuilt from
 * current state (the convergence rule). A running import already does that, so it is reused.
 */
export async function requestInstallResync(
  pool: Pool,
  workflows: InstallWorkflows,
  installId: string,
): Promise<ResyncRequest> {
  const install = await findInstall(pool, installId);
  if (!install || install.status === 'disabled' || install.status === 'failed')
    return { importId: null, started: false };
  // Without an answer (no worker polling), starting below still finds a running import by its workflow id.
  const running = await workflows.importProgress(installId).catch(() => null);
  if (running) return { importId: running.importId, started: false };
  return startResync(pool, workflows, installId, {});
}

/**
 * A failed install that starts again (its credentials were just replaced) gets a fresh import even when one still
 * runs: that one belongs to the run that failed the install and is about to fail too (it found the old credentials
 * refused), so reusing it would leave the install `importing` with nothing importing.
 */
export async function restartFailedInstallImport(
  pool: Pool,
  workflows: InstallWorkflows,
  installId: string,
): Promise<ResyncRequest> {
  await cancelRunningImports(pool, installId);
  return startResync(pool, workflows, installId, { replaceRunning: true });
}

async function startResync(
  pool: Pool,
  workflows: InstallWorkflows,
  installId: string,
  options: { replaceRunning?: boolean },
): Promise<ResyncRequest> {
  const importId = newImportId();
  // The row exists before the workflow, which records its progress there.
  await createImport(pool, installId, importId);
  const result = await workflows.startImport(installId, importId, options);
  // Another import started in between: ours never ran, so its row would only mislead the status page.
  if (!result.started)
    await pool.query(`DELETE FROM imports WHERE id = $1 AND status = 'running' AND pages = 0`, [importId]);
  return result;
}
