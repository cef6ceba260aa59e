import type Stripe from 'stripe';
import type { Pool } from 'pg';
import { countIgnoredWebhook, markEventsProcessed, recordEvent, type EventSource } from '../db/events';
import { setInstallStatus, wipeCredentials, type Install } from '../db/installs';
import { upsertCatalog } from '../db/mirror';
import type { InstallWorkflows } from '../temporal-client/workflows';
import type { StripeEventRef } from '../shared/messages';
import { recordEventForSignal } from '../db/signal-outbox';
import { withTimeout } from '../infra/timing';
import { classifyEvent, type IgnoreReason } from './classify';

/** What recording an event for an install amounted to. `recorded` is false for an event already in the log. */
export type RecordedOutcome =
  | { kind: 'ignored'; reason: IgnoreReason }
  | { kind: 'deauthorize'; recorded: boolean }
  | { kind: 'catalog'; recorded: boolean }
  | { kind: 'customer'; ref: StripeEventRef; recorded: boolean };

/**
 * Classifies an event for an install and writes what it asks for to Postgres, idempotently: the event log row, and
 * for catalog events the mirror's product or price. Hands nothing to Temporal; ignored events are not stored. With
 * `viaOutbox` (webhooks), a customer's event is committed together with its signal outbox row, for the relay to hand
 * to the sync workflow; catch-up hands its refs over itself.
 */
export async function recordForInstall(
  pool: Pool,
  install: Pick<Install, 'id' | 'livemode' | 'status' | 'createdAt'>,
  event: Stripe.Event,
  source: EventSource,
  options: { viaOutbox?: boolean } = {},
): Promise<RecordedOutcome> {
  const classification = classifyEvent(install, event);
  switch (classification.kind) {
    case 'ignored':
      return classification;
    case 'deauthorize':
      return { kind: 'deauthorize', recorded: await recordEvent(pool, install.id, event, null, source) };
    case 'catalog': {
      const recorded = await recordEvent(pool, install.id, event, null, source);
      if (classification.object) {
        // Observed as of the event: an older delivery arriving late cannot overwrite a newer observation.
        await upsertCatalog(pool, install.id, [classification.object], new Date(event.created * 1000));
      }
      // Nothing queues behind a catalog event, so it is done here (it would otherwise count as pending forever).
      await markEventsProcessed(pool, install.id, [event.id]);
      return { kind: 'catalog', recorded };
    }
    case 'customer': {
      const { ref } = classification;
      const recorded = options.viaOutbox
        ? await recordEventForSignal(pool, install.id, event, ref, source)
        : await recordEvent(pool, install.id, event, ref, source);
      return { kind: 'customer', ref, recorded };
    }
  }
}

/**
 * Stops all syncing for an install after Stripe told us it was uninstalled. The workflows first: a repeated
 * delivery finds the install still active and runs both steps again, whereas the opposite order could leave the
 * status disabled (so later deliveries are ignored) with the sync workflow never told.
 */
export async function disableInstallFromStripe(
  pool: Pool,
  workflows: InstallWorkflows,
  installId: string,
  eventId: string,
  temporalTimeoutMs: number,
): Promise<void> {
  await withTimeout('disabling the install workflows', temporalTimeoutMs, workflows.disable(installId, 0));
  await setInstallStatus(pool, installId, 'disabled', 'uninstalled from Stripe (account.application.deauthorized)');
  // Stripe has revoked the key already; the token and the webhook secret must not outlive the install either.
  await wipeCredentials(pool, installId);
  await markEventsProcessed(pool, installId, [eventId]);
}

export type IntakeOutcome =
  | { kind: 'ignored'; reason: IgnoreReason }
  | { kind: 'disabled' }
  | { kind: 'catalog'; duplicate: boolean }
  | { kind: 'queued'; ref: StripeEventRef; duplicate: boolean };

export interface EventIntakeDeps {
  pool: Pool;
  workflows: InstallWorkflows;
  /**
   * Bound on each Temporal call (a deauthorization's disable). The SDK retries an unreachable server for tens of
   * seconds; Stripe should get its 503 well before its own delivery timeout.
   */
  temporalTimeoutMs?: number;
  /** Called once a customer's event is committed with its outbox row: this process's relay signals it at once. */
  onQueued?: (installId: string) => void;
}

export interface EventIntake {
  /**
   * Turns a verified webhook event into work for the install. A customer's event resolves once committed in
   * PostgreSQL with its outbox row: the relay hands it to Temporal, so a Temporal outage does not fail the delivery.
   */
  accept(install: Install, event: Stripe.Event): Promise<IntakeOutcome>;
}

const DEFAULT_TEMPORAL_TIMEOUT_MS = 10_000;

export function createEventIntake(deps: EventIntakeDeps): EventIntake {
  const { pool, workflows } = deps;
  const temporalTimeoutMs = deps.temporalTimeoutMs ?? DEFAULT_TEMPORAL_TIMEOUT_MS;

  return {
    async accept(install, event) {
      const outcome = await recordForInstall(pool, install, event, 'webhook', { viaOutbox: true });
      switch (outcome.kind) {
        case 'ignored':
          await countIgnoredWebhook(pool, install.id, outcome.reason);
          return outcome;
        case 'deauthorize':
          await disableInstallFromStripe(pool, workflows, install.id, event.id, temporalTimeoutMs);
          // Running batches stop at their next Intercom call now that the status says disabled; answering once the
          // sync workflow has closed means nothing reaches Intercom after Stripe's delivery is acknowledged. Bounded
          // and never failing: the disable itself is done. (Not in disableInstallFromStripe: the catch-up activity
          // calls that from within the sync workflow, which cannot close before the activity returns.)
          await workflows.waitForSyncClosed(install.id, temporalTimeoutMs);
          return { kind: 'disabled' };
        case 'catalog':
          return { kind: 'catalog', duplicate: !outcome.recorded };
        case 'customer':
          deps.onQueued?.(install.id);
          return { kind: 'queued', ref: outcome.ref, duplicate: !outcome.recorded };
      }
    },
  };
}
