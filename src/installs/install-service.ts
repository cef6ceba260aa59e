import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { SecretBox } from '../crypto/secret-box';
import {
  findInstall,
  insertInstall,
  reviveFailedInstall,
  setCredentials,
  setInstallStatus,
  setWebhookEndpoint,
  wipeCredentials,
  type Install,
  type SealedCredentials,
} from '../db/installs';
import type { IntercomRegion } from '../vendors/intercom';
import { withAdvisoryLock } from '../db/locks';
import { createImport, latestImport, settleEndedImport } from '../db/imports';
import { contactCounts } from '../db/contacts';
import { countCustomersWithoutEmail } from '../db/mirror';
import { countFailures, listFailures } from '../db/failures';
import { warningSummary } from '../db/warnings';
import { ignoredWebhookCounts, webhookCounts } from '../db/events';
import { type InstallWorkflows, newImportId } from '../temporal-client/workflows';
import type { WorkflowsHealth } from '../temporal-client/sync-health';
import { DriftJobs, type DriftJob, type DriftJobPage } from '../reconcile/drift-jobs';
import type { StripePacers } from '../vendors/stripe-pacer';
import { createStripeClient } from '../vendors/stripe';
import { WebhookUrlRejected, deleteWebhookEndpoint, registerWebhookEndpoint } from '../webhooks/webhook-endpoints';
import { requestInstallResync, restartFailedInstallImport, type ResyncRequest } from '../catch-up/resync';
import { CredentialRejected, verifyIntercomToken, verifyStripeKey, type CredentialField } from './credential-checks';
import { replaceStripeGrant, setStripeGrant, stripeKeyOfInstall } from '../credentials/stripe-access';
import { refusePrefixCollision } from './workspace-prefixes';

export interface InstallRequest {
  /** `grantId`: connected through Stripe OAuth; `apiKey` is then the grant's current access token. */
  stripe: { apiKey: string; grantId?: string };
  intercom: { accessToken: string; region: IntercomRegion };
  attributePrefix: string;
  matchBy: string;
  metadataAttributes: string[];
}

/** New credentials for an existing install; each given one is verified against the install's account/workspace. */
export interface CredentialsRequest {
  stripe?: { apiKey: string };
  intercom?: { accessToken: string };
}

/** What a rotation did: the fields whose secret was replaced, and those given again unchanged. */
export interface RotationResult {
  changed: CredentialField[];
  unchanged: CredentialField[];
}

export interface InstallServiceDeps {
  pool: Pool;
  config: Config;
  secrets: SecretBox;
  workflows: InstallWorkflows;
  logger: Logger;
  /** Each Stripe account's budget, shared with the worker when it runs in this process (drift jobs read Stripe). */
  stripePacers?: StripePacers;
}

/** The error a retrying activity last met, when nothing more lasting is known. */
function retryingError(health: WorkflowsHealth | null): string | null {
  for (const waiting of health?.waitingOn ?? []) {
    if (waiting.kind === 'retrying' && waiting.lastError) return `${waiting.activity}: ${waiting.lastError}`;
  }
  return null;
}

export const isLiveKey = (apiKey: string): boolean => /^(sk|rk)_live_/.test(apiKey);
/** Warnings shown in full by GET /installs/:id (the count covers them all). */
const RECENT_WARNINGS = 20;
const newInstallId = (): string => `ins_${randomBytes(9).toString('base64url')}`;

/** Installs, resyncs and disables: what the install endpoints (and later the browser flow) do. */
export class InstallService {
  private readonly driftJobs: DriftJobs;

  constructor(private readonly deps: InstallServiceDeps) {
    this.driftJobs = new DriftJobs(deps);
  }

  /**
   * Verifies both credentials, stores the install with its secrets sealed, registers the Stripe webhook endpoint
   * and starts the sync and import workflows. The same account and workspace installed again returns the existing
   * one, with the credentials just verified replacing the stored ones (the way to rotate a key by re-installing).
   */
  async install(
    request: InstallRequest,
  ): Promise<{ install: Install; created: boolean; credentials?: RotationResult }> {
    const { pool, config, secrets, workflows, logger } = this.deps;
    const [{ accountId }, { workspaceId }] = await Promise.all([
      verifyStripeKey(request.stripe.apiKey, config),
      verifyIntercomToken(request.intercom.accessToken, request.intercom.region, config),
    ]);
    // One install of a workspace at a time between the prefix check and the insert: two accounts installed at once
    // with the same prefix would otherwise both pass the check.
    const { install, created } = await withAdvisoryLock(pool, `workspace-installs:${workspaceId}`, async (db) => {
      await refusePrefixCollision(db, {
        workspaceId,
        stripeAccountId: accountId,
        livemode: isLiveKey(request.stripe.apiKey),
        prefix: request.attributePrefix,
        metadataKeys: request.metadataAttributes,
      });
      return insertInstall(db, {
        id: newInstallId(),
        stripeAccountId: accountId,
        livemode: isLiveKey(request.stripe.apiKey),
        stripeApiKeySealed: secrets.seal(request.stripe.apiKey),
        intercomWorkspaceId: workspaceId,
        intercomRegion: request.intercom.region,
        intercomTokenSealed: secrets.seal(request.intercom.accessToken),
        attributePrefix: request.attributePrefix,
        matchBy: request.matchBy,
        metadataAttributes: request.metadataAttributes,
      });
    });
    if (!created) {
      const credentials = await this.replaceCredentials(install, {
        stripeApiKey: request.stripe.apiKey,
        // Installing again through Stripe OAuth attaches the new grant; with a pasted key the old grant is let go.
        stripeGrantId: request.stripe.grantId ?? null,
        intercomToken: request.intercom.accessToken,
      });
      return { install: (await findInstall(pool, install.id)) ?? install, created, credentials };
    }
    if (request.stripe.grantId) await setStripeGrant(pool, install.id, request.stripe.grantId);

    const stripe = createStripeClient(request.stripe.apiKey, config);
    let endpointId: string | undefined;
    try {
      const endpoint = await registerWebhookEndpoint(stripe, config.PUBLIC_URL, install.id);
      endpointId = endpoint.endpointId;
      await setWebhookEndpoint(pool, install.id, { endpointId, secretSealed: secrets.seal(endpoint.secret) });
    } catch (err) {
      // Without webhooks the install could never stay current: refuse it rather than half-install.
      if (endpointId) await deleteWebhookEndpoint(stripe, endpointId).catch(() => undefined);
      await pool.query(`DELETE FROM installs WHERE id = $1`, [install.id]);
      if (err instanceof WebhookUrlRejected) throw err;
      if (err instanceof Stripe.errors.StripeError && (err.statusCode ?? 500) < 500) {
        throw new CredentialRejected(
          'stripe.apiKey',
          `Stripe refused to create the webhook endpoint (the key needs write access to Webhook Endpoints): ${err.message}`,
        );
      }
      throw err;
    }
    const importId = newImportId();
    await createImport(pool, install.id, importId);
    await workflows.ensureSync(install.id);
    await workflows.startImport(install.id, importId);
    logger.info({ installId: install.id, stripeAccountId: accountId, workspaceId, importId }, 'install created');
    return { install: (await findInstall(pool, install.id)) ?? install, created };
  }

  /**
   * `PUT /installs/:id/credentials`: each credential given is verified (it must open the install's own Stripe account,
   * in its mode, and its own Intercom workspace, in its region), then sealed under the newest encryption key.
   */
  async rotateCredentials(install: Install, request: CredentialsRequest): Promise<RotationResult> {
    const { config } = this.deps;
    const stripeApiKey = request.stripe?.apiKey;
    const intercomToken = request.intercom?.accessToken;
    await Promise.all([
      stripeApiKey !== undefined &&
        verifyStripeKey(stripeApiKey, config).then(({ accountId }) => {
          if (accountId !== install.stripeAccountId || isLiveKey(stripeApiKey) !== install.livemode) {
            const mode = install.livemode ? 'live' : 'test';
            throw new CredentialRejected(
              'stripe.apiKey',
              `the key must be a ${mode}-mode key of Stripe account ${install.stripeAccountId}, this install's account`,
            );
          }
        }),
      intercomToken !== undefined &&
        verifyIntercomToken(intercomToken, install.intercomRegion, config).then(({ workspaceId }) => {
          if (workspaceId !== install.intercomWorkspaceId) {
            throw new CredentialRejected(
              'intercom.accessToken',
              `the token must open Intercom workspace ${install.intercomWorkspaceId}, this install's workspace`,
            );
          }
        }),
    ]);
    // A pasted key replaces an OAuth connection too: the install stops using (and wipes) its grant.
    return this.replaceCredentials(install, {
      stripeApiKey,
      ...(stripeApiKey !== undefined && { stripeGrantId: null }),
      intercomToken,
    });
  }

  /**
   * Stores verified credentials sealed under the newest key and says which differ from the stored ones. `stripeGrantId`
   * (when given) becomes the install's Stripe OAuth grant (null: none); a grant the install no longer uses is wiped.
   * A failed install whose credentials were just verified starts again: a resync rebuilds what it dropped meanwhile.
   */
  private async replaceCredentials(
    install: Install,
    given: { stripeApiKey?: string; stripeGrantId?: string | null; intercomToken?: string },
  ): Promise<RotationResult> {
    const { pool, secrets, logger } = this.deps;
    const result: RotationResult = { changed: [], unchanged: [] };
    const sealIfGiven = (field: CredentialField, value: string | undefined, stored: string | null) => {
      if (value === undefined) return undefined;
      result[stored !== null && secrets.open(stored) === value ? 'unchanged' : 'changed'].push(field);
      return secrets.seal(value);
    };
    const sealed: Partial<SealedCredentials> = {
      stripeApiKeySealed: sealIfGiven('stripe.apiKey', given.stripeApiKey, install.stripeApiKeySealed),
      intercomTokenSealed: sealIfGiven('intercom.accessToken', given.intercomToken, install.intercomTokenSealed),
    };
    // Re-sealed even when unchanged: a write is where a secret moves to the newest key.
    if (!(await setCredentials(pool, install.id, sealed))) {
      throw new Error(`install ${install.id} was disabled while its credentials were being replaced`);
    }
    if (given.stripeGrantId !== undefined && given.stripeGrantId !== install.stripeGrantId) {
      await replaceStripeGrant(pool, install.id, given.stripeGrantId);
      if (!result.changed.includes('stripe.apiKey')) result.changed.push('stripe.apiKey');
    }
    if (result.changed.length > 0)
      logger.info({ installId: install.id, changed: result.changed }, 'credentials rotated');
    if (await reviveFailedInstall(pool, install.id)) {
      logger.info({ installId: install.id }, 'failed install starts again with verified credentials');
      // The workflows of the run that failed the install may still be closing (only a sync run fails an install, and
      // it ends when it does): replaced, not reused. What they held is rebuilt by the import that follows.
      await this.deps.workflows.ensureSync(install.id, { replaceRunning: true });
      await restartFailedInstallImport(pool, this.deps.workflows, install.id);
    }
    return result;
  }

  /** Temporal UI links to the install's workflows (no call to Temporal). */
  workflowLinks(installId: string): { sync: string; import: string } {
    return this.deps.workflows.links(installId);
  }

  async find(installId: string): Promise<Install | undefined> {
    return findInstall(this.deps.pool, installId);
  }

  /** Starts a fresh backfill, or returns the one already running. */
  async resync(install: Install): Promise<ResyncRequest> {
    await this.deps.workflows.ensureSync(install.id);
    return requestInstallResync(this.deps.pool, this.deps.workflows, install.id);
  }

  /** Stops all syncing for the install at once; nothing more is written to Intercom for it. */
  async disable(install: Install): Promise<void> {
    const { pool, config, secrets, workflows, logger } = this.deps;
    await setInstallStatus(pool, install.id, 'disabled');
    await workflows.disable(install.id);
    if (install.webhookEndpointId && install.stripeApiKeySealed) {
      try {
        const stripeKey = await stripeKeyOfInstall(pool, secrets, config, {
          stripeApiKeySealed: install.stripeApiKeySealed,
          stripeGrantId: install.stripeGrantId,
        });
        const stripe = createStripeClient(stripeKey, config);
        await deleteWebhookEndpoint(stripe, install.webhookEndpointId);
        await setWebhookEndpoint(pool, install.id, null);
      } catch (err) {
        // A revoked key cannot delete its endpoint; deliveries to a disabled install are ignored anyway.
        logger.warn({ installId: install.id, err: (err as Error).message }, 'webhook endpoint not deleted');
      }
    }
    // Last: a disable that failed half-way (Temporal down) is repeated, and then still needs the key for the endpoint.
    await wipeCredentials(pool, install.id);
    logger.info({ installId: install.id }, 'install disabled');
  }

  async status(install: Install) {
    const { pool, workflows } = this.deps;
    // Asked of the server first: with no worker polling, a query would wait for its whole deadline and say nothing.
    const health = await workflows.health(install.id).catch(() => null);
    const queryable = (running: boolean | undefined) => health?.workerPolling !== false && running !== false;
    const [latest, importLive, sync, contacts, skippedNoEmail, failed, webhooks, ignored, warnings] = await Promise.all(
      [
        latestImport(pool, install.id),
        queryable(health?.importRunning)
          ? workflows.importProgress(install.id, { knownRunning: health !== null }).catch(() => null)
          : null,
        queryable(health?.syncRunning)
          ? workflows.syncStatus(install.id, { knownRunning: health !== null }).catch(() => null)
          : null,
        contactCounts(pool, install.id),
        countCustomersWithoutEmail(pool, install.id),
        countFailures(pool, install.id),
        webhookCounts(pool, install.id),
        ignoredWebhookCounts(pool, install.id),
        warningSummary(pool, install.id, RECENT_WARNINGS),
      ],
    );
    const current = (await findInstall(pool, install.id)) ?? install;
    const importRow =
      latest?.status === 'running' && health?.importEnded
        ? await settleEndedImport(pool, latest, health.importEnded)
        : latest;
    return {
      id: current.id,
      state: current.status,
      livemode: current.livemode,
      stripeAccountId: current.stripeAccountId,
      intercomWorkspaceId: current.intercomWorkspaceId,
      attributePrefix: current.attributePrefix,
      matchBy: current.matchBy,
      createdAt: current.createdAt.toISOString(),
      // A stopped install's own reason (Stripe refused to renew access, the app was uninstalled) says more than the
      // sync's last error, which may be an old customer failure.
      lastError:
        ((current.status === 'failed' || current.status === 'disabled') && current.lastError) ||
        (sync?.lastError ?? current.lastError ?? retryingError(health)),
      import: importRow
        ? {
            id: importRow.id,
            status: importRow.status,
            phase: importLive?.importId === importRow.id ? importLive.phase : importRow.status,
            pages: importLive?.importId === importRow.id ? importLive.pages : importRow.pages,
            customersSeen: importLive?.importId === importRow.id ? importLive.customersSeen : importRow.customersSeen,
            estimatedTotal:
              importLive?.importId === importRow.id ? importLive.estimatedTotal : importRow.estimatedTotal,
            startedAt: importRow.startedAt.toISOString(),
            finishedAt: importRow.finishedAt?.toISOString() ?? null,
          }
        : null,
      sync: {
        created: contacts.created,
        matched: contacts.matched,
        updated: sync?.counters.updated ?? null,
        unchanged: sync?.counters.unchanged ?? null,
        skippedNoEmail,
        failed,
        eventsSent: sync?.counters.eventsSent ?? null,
        queueDepth: sync?.queueDepth ?? 0,
        maxQueueDepth: sync?.maxQueueDepth ?? null,
        queueBound: sync?.queueBound ?? null,
        running: health?.syncRunning ?? sync !== null,
        workerPolling: health?.workerPolling ?? null,
        waitingOn: health?.waitingOn ?? null,
      },
      webhooks: { ...webhooks, lastEventAt: webhooks.lastEventAt?.toISOString() ?? null, ignored },
      warnings: {
        count: warnings.count,
        recent: warnings.recent.map((warning) => ({
          customerId: warning.customerId,
          code: warning.code,
          contactId: warning.contactId,
          message: warning.message,
          lastAt: warning.lastAt.toISOString(),
        })),
      },
      workflows: workflows.links(install.id),
    };
  }

  /**
   * Starts a drift report between the install's Stripe state (read from Stripe) and its Intercom contacts, or joins
   * the one running; changes nothing. Read it with `driftJob`.
   */
  startDrift(install: Install): DriftJob {
    return this.driftJobs.start(install.id);
  }

  /** A drift job with one page of its drifted customers; the newest job when `jobId` is null. */
  driftJob(install: Install, jobId: string | null, offset: number, limit: number): DriftJobPage | undefined {
    const id = jobId ?? this.driftJobs.latest(install.id)?.id;
    return id === undefined ? undefined : this.driftJobs.page(install.id, id, offset, limit);
  }

  async failures(install: Install, limit: number) {
    return listFailures(this.deps.pool, install.id, limit);
  }
}
