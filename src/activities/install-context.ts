import type Stripe from 'stripe';
import type { IntercomClient } from 'intercom-client';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { SecretBox } from '../crypto/secret-box';
import { findInstall, type Install } from '../db/installs';
import { createStripeClient } from './clients/stripe';
import { createIntercomClient } from './clients/intercom';
import { InstallStopped, IntercomGateway } from './intercom-gateway';
import { RateWindows } from './rate-window';
import { installFailure } from './failures';
import { StripeGrantRevoked, stripeKeyOfInstall } from '../installs/stripe-oauth';

export interface InstallContext {
  install: Install;
  stripe: Stripe;
  intercom: IntercomGateway;
}

interface CachedClients {
  stripeKey: string;
  sealedToken: string;
  stripe: Stripe;
  intercom: IntercomClient;
}

/**
 * Loads an install with its secrets opened into API clients. Clients are reused across activities of this worker
 * (keeping HTTP connections warm) until the install's credentials change.
 */
export class InstallContexts {
  private readonly clients = new Map<string, CachedClients>();
  private readonly rateWindows = new RateWindows();

  constructor(private readonly deps: { pool: Pool; config: Config; secrets: SecretBox }) {}

  async load(installId: string, onRateWait?: () => void): Promise<InstallContext> {
    const install = await findInstall(this.deps.pool, installId);
    if (!install) throw installFailure(`install ${installId} does not exist`);
    const clients = this.clientsFor(install, await this.stripeKeyOf(install));
    return {
      install,
      stripe: clients.stripe,
      intercom: new IntercomGateway(
        clients.intercom,
        this.rateWindows.for(install.intercomWorkspaceId),
        onRateWait,
        () => this.assertEnabled(install.id),
      ),
    };
  }

  /**
   * Disabling stops all writing at once (design §1): a batch that was already running re-reads the status before each
   * Intercom call (a primary-key read, cheap beside the call), rather than writing the rest of its customers.
   */
  private async assertEnabled(installId: string): Promise<void> {
    const current = await findInstall(this.deps.pool, installId);
    if (!current || current.status === 'disabled') throw new InstallStopped(`install ${installId} is disabled`);
  }

  /**
   * The key every Stripe call of this activity uses: the install's own key, or its OAuth grant's access token,
   * refreshed when it would expire within the activity's lifetime. A grant Stripe no longer honours fails the install.
   */
  private async stripeKeyOf(install: Install): Promise<string> {
    try {
      return await stripeKeyOfInstall(this.deps.pool, this.deps.secrets, this.deps.config, install);
    } catch (err) {
      if (err instanceof StripeGrantRevoked) throw installFailure(err.message);
      throw err;
    }
  }

  private clientsFor(install: Install, stripeKey: string): CachedClients {
    const cached = this.clients.get(install.id);
    if (cached && cached.stripeKey === stripeKey && cached.sealedToken === install.intercomTokenSealed) {
      return cached;
    }
    const { config, secrets } = this.deps;
    const fresh: CachedClients = {
      stripeKey,
      sealedToken: install.intercomTokenSealed,
      stripe: createStripeClient(stripeKey, config),
      intercom: createIntercomClient(secrets.open(install.intercomTokenSealed), install.intercomRegion, config),
    };
    this.clients.set(install.id, fresh);
    return fresh;
  }
}
