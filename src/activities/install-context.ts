import type Stripe from 'stripe';
import type { IntercomClient } from 'intercom-client';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { SecretBox } from '../crypto/secret-box';
import { findInstall, findInstallStatus, type Install, type InstallStatus } from '../db/installs';
import { createStripeClient } from '../vendors/stripe';
import { createIntercomClient } from '../vendors/intercom';
import { InstallStopped, IntercomGateway } from './intercom-gateway';
import { RateWindows } from './rate-window';
import type { StripePacers } from '../vendors/stripe-pacer';
import { sharedStripePacers } from '../db/stripe-budgets';
import { installFailure } from './failures';
import { StripeGrantRevoked, stripeKeyOfInstall } from '../credentials/stripe-access';

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
 * Installs whose clients a worker keeps. A Stripe client holds every API resource it offers (about 45 KB), so keeping
 * one for each install a worker ever served would make idle installs cost memory; the installs at work stay in, and
 * one back from idle builds its clients again (no call).
 */
const CACHED_CLIENTS_MAX = 128;

/**
 * Loads an install with its secrets opened into API clients. Clients are reused across activities of this worker
 * (keeping HTTP connections warm) until the install's credentials change, for the CACHED_CLIENTS_MAX installs used last.
 */
export class InstallContexts {
  /** In order of last use, oldest first. */
  private readonly clients = new Map<string, CachedClients>();
  /** Status reads under way, by install: concurrent writes join one instead of each taking a pool connection. */
  private readonly statusReads = new Map<string, Promise<InstallStatus | undefined>>();
  private readonly rateWindows = new RateWindows();

  private readonly stripePacers: StripePacers;

  /** `stripePacers`: the worker's, shared by every activity (absent: pacers of its own, drawing on the same budgets in PostgreSQL). */
  constructor(private readonly deps: { pool: Pool; config: Config; secrets: SecretBox; stripePacers?: StripePacers }) {
    this.stripePacers = deps.stripePacers ?? sharedStripePacers(deps.pool);
  }

  async load(installId: string, onRateWait?: () => void): Promise<InstallContext> {
    // Twice at most: a reconnect can replace (and wipe) the install's OAuth grant between reading the install and
    // opening its grant; the revoked old grant must not fail the install that the reconnect just restarted.
    for (let attempt = 1; ; attempt += 1) {
      const install = await findInstall(this.deps.pool, installId);
      if (!install) throw installFailure(`install ${installId} does not exist`);
      let stripeKey: string;
      try {
        stripeKey = await this.stripeKeyOf(install);
      } catch (err) {
        if (!(err instanceof StripeGrantRevoked)) throw err;
        if (attempt === 1) continue;
        throw installFailure(err.message);
      }
      const clients = this.clientsFor(install, stripeKey);
      return {
        install,
        stripe: clients.stripe,
        intercom: this.intercomGateway(install, clients.intercom, onRateWait),
      };
    }
  }

  private intercomGateway(install: Install, client: IntercomClient, onRateWait?: () => void): IntercomGateway {
    const { window, inFlight } = this.rateWindows.for(install.intercomWorkspaceId);
    return new IntercomGateway(client, window, onRateWait, () => this.assertEnabled(install.id), inFlight);
  }

  /**
   * Disabling stops all writing at once (a disabled install must not write one more contact): a batch that was
   * already running re-reads the status before each Intercom call (a primary-key read, cheap beside the call), rather
   * than writing the rest of its customers. Calls
   * starting together share one read instead of each taking a pool connection: a call may see the status as of a
   * read begun a moment before it asked, never older than one primary-key read.
   */
  private async assertEnabled(installId: string): Promise<void> {
    let read = this.statusReads.get(installId);
    if (!read) {
      read = findInstallStatus(this.deps.pool, installId).finally(() => this.statusReads.delete(installId));
      this.statusReads.set(installId, read);
    }
    const status = await read;
    if (!status || status === 'disabled') throw new InstallStopped(`install ${installId} is disabled`);
  }

  /**
   * The key every Stripe call of this activity uses: the install's own key, or its OAuth grant's access token,
   * refreshed when it would expire within the activity's lifetime. Throws StripeGrantRevoked for a grant Stripe no
   * longer honours (load() then fails the install).
   */
  private async stripeKeyOf(install: Install): Promise<string> {
    const { stripeApiKeySealed } = install;
    // Only a disabled install has its credentials wiped; nothing may be synced for it.
    if (stripeApiKeySealed === null) throw installFailure(`install ${install.id} is disabled`);
    return stripeKeyOfInstall(this.deps.pool, this.deps.secrets, this.deps.config, {
      stripeApiKeySealed,
      stripeGrantId: install.stripeGrantId,
    });
  }

  private clientsFor(install: Install, stripeKey: string): CachedClients {
    const sealedToken = install.intercomTokenSealed;
    if (sealedToken === null) throw installFailure(`install ${install.id} is disabled`);
    const cached = this.clients.get(install.id);
    this.clients.delete(install.id);
    if (cached && cached.stripeKey === stripeKey && cached.sealedToken === sealedToken) {
      this.clients.set(install.id, cached);
      return cached;
    }
    const { config, secrets } = this.deps;
    const fresh: CachedClients = {
      stripeKey,
      sealedToken,
      stripe: createStripeClient(stripeKey, config, this.stripePacers.for(install.stripeAccountId, install.livemode)),
      intercom: createIntercomClient(secrets.open(sealedToken), install.intercomRegion, config),
    };
    this.clients.set(install.id, fresh);
    const leastRecent = this.clients.keys().next().value;
    if (this.clients.size > CACHED_CLIENTS_MAX && leastRecent !== undefined) this.clients.delete(leastRecent);
    return fresh;
  }
}
