// Installing through the API and waiting on the live sync: what every live-sync test starts with.
import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import { encryptionKeyBytes } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { findInstall } from '../../src/db/installs';
import { syncWorkflowId } from '../../src/shared/ids';
import type { StripeEventRef } from '../../src/shared/messages';
import { eventually, type TestStack } from './stack';

export const PREFIX = 'STRIPE_';

// ---------------------------------------------------------------------------------------------------------------
// The install and waiting for it

export interface LiveInstall {
  installId: string;
  workspaceId: string;
}

/** Installs through `POST /installs` with the emulator's live key into a fresh Intercom workspace. */
export async function install(
  stack: TestStack,
  options: { waitLive?: boolean; workspace?: { workspaceId: string; token: string } } = {},
): Promise<LiveInstall> {
  const { workspaceId, token } = options.workspace ?? stack.intercom.createWorkspace();
  const response = await stack.api('/installs', {
    body: { stripe: { apiKey: stack.stripe.keys.live }, intercom: { accessToken: token, region: 'us' } },
  });
  const body = (await response.json()) as { id: string };
  assert.equal(response.status, 202, JSON.stringify(body));
  if (options.waitLive !== false) await waitForState(stack, body.id, 'live');
  return { installId: body.id, workspaceId };
}

export async function installState(stack: TestStack, installId: string): Promise<string> {
  const response = await stack.api(`/installs/${installId}`);
  // A status request the loaded API could not answer says nothing about the state: never read it as one.
  if (!response.ok) throw new Error(`GET /installs/${installId}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { state: string }).state;
}

export async function waitForState(stack: TestStack, installId: string, state: string, timeoutMs = 240_000) {
  await eventually(
    async () => ((await installState(stack, installId)) === state ? true : undefined),
    timeoutMs,
    `install ${installId} ${state}`,
  );
}

/** Stripe events recorded but not yet processed (handed to the sync workflow, not written). */
export async function pendingEventCount(stack: TestStack, installId: string): Promise<number> {
  const result = await stack.db.pool.query<{ count: string }>(
    `SELECT count(*) FROM stripe_events WHERE install_id = $1 AND status = 'received'`,
    [installId],
  );
  return Number(result.rows[0]?.count ?? 0);
}

/**
 * Waits until Stripe has no delivery left to make (unless `deliveries: false`), and the sync workflow has nothing
 * queued or in flight and no recorded event waits for processing, three polls in a row (a signal may land between
 * two polls).
 */
export async function waitForQuiet(
  stack: TestStack,
  installId: string,
  options: { timeoutMs?: number; deliveries?: boolean } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 240_000;
  // Paused deliveries never finish: then only the service's side is waited for.
  if (options.deliveries !== false) await stack.stripe.admin.waitForDeliveries({ timeoutMs });
  let quietPolls = 0;
  await eventually(
    async () => {
      const status = await stack.workflows.syncStatus(installId);
      const quiet =
        status !== null &&
        status.queueDepth === 0 &&
        status.inFlightCustomers === 0 &&
        (await pendingEventCount(stack, installId)) === 0;
      quietPolls = quiet ? quietPolls + 1 : 0;
      return quietPolls >= 3 ? true : undefined;
    },
    timeoutMs,
    'the sync workflow to drain',
  );
}

/** The endpoint secret Stripe signs this install's deliveries with, for deliveries a test makes by hand. */
export async function webhookSecretOf(stack: TestStack, installId: string): Promise<string> {
  const found = await findInstall(stack.db.pool, installId);
  assert.ok(found?.webhookSecretSealed, `install ${installId} has no webhook secret`);
  return createSecretBox(encryptionKeyBytes(stack.config)).open(found.webhookSecretSealed);
}

/** Every `stripeEvents` signal in the current run of the install's sync workflow, and that run's id. */
export async function syncSignals(
  stack: TestStack,
  installId: string,
): Promise<{ runId: string | undefined; signals: StripeEventRef[][] }> {
  const handle = stack.service.temporal.workflow.getHandle(syncWorkflowId(installId));
  const { runId } = await handle.describe();
  const history = await stack.service.temporal.workflow.getHandle(syncWorkflowId(installId), runId).fetchHistory();
  const signals = (history.events ?? []).flatMap((event) => {
    const signal = event.workflowExecutionSignaledEventAttributes;
    const payload = signal?.signalName === 'stripeEvents' ? signal.input?.payloads?.[0] : undefined;
    return payload ? [defaultPayloadConverter.fromPayload<StripeEventRef[]>(payload)] : [];
  });
  return { runId, signals };
}

// ---------------------------------------------------------------------------------------------------------------
// Which customers share a contact
