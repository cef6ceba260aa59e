import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { SecretBox } from '../crypto/secret-box';
import {
  findInstall,
  insertInstall,
  setInstallStatus,
  setWebhookEndpoint,
  type Install,
  type IntercomRegion,
} from '../db/installs';
import { createImport, latestImport } from '../db/imports';
import { contactCounts } from '../db/contacts';
import { countCustomersWithoutEmail } from '../db/mirror';
import { countFailures, listFailures } from '../db/failures';
import { ignoredWebhookCounts, webhookCounts } from '../db/events';
import { type InstallWorkflows, newImportId } from '../client/workflows';
import { createStripeClient } from '../activities/clients/stripe';
import { deleteWebhookEndpoint, registerWebhookEndpoint } from '../events/webhook-endpoints';
import { requestInstallResync, type ResyncRequest } from '../events/resync';
import { CredentialRejected, verifyIntercomToken, verifyStripeKey } from './credentials';
import { setStripeGrant, stripeKeyOfInstall } from './stripe-oauth';

export interface InstallRequest {
  /** `grantId`: connected through Stripe OAuth; `apiKey` is then the grant's current access token. */
  stripe: { apiKey: string; grantId?: string };
  intercom: { accessToken: string; region: IntercomRegion };
  attributePrefix: string;
  matchBy: string;
  metadataAttributes: string[];
}

export interface InstallServiceDeps {
  pool: Pool;
  config: Config;
  secrets: SecretBox;
  workflows: InstallWorkflows;
  logger: Logger;
}

export const isLiveKey = (apiKey: string): boolean => /^(sk|rk)_live_/.test(apiKey);
const newInstallId = (): string => `ins_${randomBytes(9).toString('base64url')}`;

/** Installs, resyncs and disables: what the install endpoints (and later the browser flow) do. */
export class InstallService {
  constructor(private readonly deps: InstallServiceDeps) {}

  /**
   * Verifies both credentials, stores the install with its secrets sealed, registers the Stripe webhook endpoint
   * and starts the sync and import workflows. The same account and workspace installed again returns the existing one.
   */
  async install(request: InstallRequest): Promise<{ install: Install; created: boolean }> {
    const { pool, config, secrets, workflows, logger } = this.deps;
    const [{ accountId }, { workspaceId }] = await Promise.all([
      verifyStripeKey(request.stripe.apiKey, config),
      verifyIntercomToken(request.intercom.accessToken, request.intercom.region, config),
    ]);
    const { install, created } = await insertInstall(pool, {
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
    if (!created) return { install, created };
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
    if (install.webhookEndpointId) {
      try {
        const stripe = createStripeClient(await stripeKeyOfInstall(pool, secrets, config, install), config);
        await deleteWebhookEndpoint(stripe, install.webhookEndpointId);
        await setWebhookEndpoint(pool, install.id, null);
      } catch (err) {
        // A revoked key cannot delete its endpoint; deliveries to a disabled install are ignored anyway.
        logger.warn({ installId: install.id, err: (err as Error).message }, 'webhook endpoint not deleted');
      }
    }
    logger.info({ installId: install.id }, 'install disabled');
  }

  async status(install: Install) {
    const { pool, workflows } = this.deps;
    const [importRow, importLive, sync, contacts, skippedNoEmail, failed, webhooks, ignored] = await Promise.all([
      latestImport(pool, install.id),
      workflows.importProgress(install.id).catch(() => null),
      workflows.syncStatus(install.id).catch(() => null),
      contactCounts(pool, install.id),
      countCustomersWithoutEmail(pool, install.id),
      countFailures(pool, install.id),
      webhookCounts(pool, install.id),
      ignoredWebhookCounts(pool, install.id),
    ]);
    const current = (await findInstall(pool, install.id)) ?? install;
    return {
      id: current.id,
      state: current.status,
      livemode: current.livemode,
      stripeAccountId: current.stripeAccountId,
      intercomWorkspaceId: current.intercomWorkspaceId,
      attributePrefix: current.attributePrefix,
      matchBy: current.matchBy,
      createdAt: current.createdAt.toISOString(),
      // A failed install's own reason (e.g. Stripe refused to renew access) says more than the workflow's last error.
      lastError: (current.status === 'failed' && current.lastError) || (sync?.lastError ?? current.lastError),
      import: importRow && {
        id: importRow.id,
        status: importRow.status,
        phase: importLive?.importId === importRow.id ? importLive.phase : importRow.status,
        pages: importLive?.importId === importRow.id ? importLive.pages : importRow.pages,
        customersSeen: importLive?.importId === importRow.id ? importLive.customersSeen : importRow.customersSeen,
        estimatedTotal: importLive?.importId === importRow.id ? importLive.estimatedTotal : importRow.estimatedTotal,
        startedAt: importRow.startedAt.toISOString(),
        finishedAt: importRow.finishedAt?.toISOString() ?? null,
      },
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
        running: sync !== null,
      },
      webhooks: { ...webhooks, ignored },
      workflows: workflows.links(install.id),
    };
  }

  async failures(install: Install, limit: number) {
    return listFailures(this.deps.pool, install.id, limit);
  }
}
