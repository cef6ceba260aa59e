// What the fault suite shares: the reconcile oracle run against a test stack, the emulator-side duplicate checks,
// and the figures each case records (drift, duplicates, time to recover).
import assert from 'node:assert/strict';
import { encryptionKeyBytes } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { DATA_EVENT_TYPES, normalizeEmail } from '../../src/mapping';
import { reconcileInstall, type DriftReport } from '../../src/reconcile/reconcile';
import type { DriftJobPage } from '../../src/reconcile/drift-jobs';
import { eventually, type TestStack } from './stack';
import { compareWorkspace, type CustomerBook, type LiveInstall } from './live-sync';

/** The drift report of an install (`npm run reconcile` without --fix), computed in the test process. */
export function reconcile(stack: TestStack, installId: string, options: { fix?: boolean } = {}): Promise<DriftReport> {
  return reconcileInstall(
    {
      pool: stack.db.pool,
      config: stack.config,
      secrets: createSecretBox(encryptionKeyBytes(stack.config)),
      workflows: stack.workflows,
    },
    installId,
    { fix: options.fix ?? false },
  );
}

/**
 * The drift report through the API (`POST /installs/:id/drift`, then its job polled until it finishes), with the first
 * `limit` drifted customers; fails when the job fails.
 */
export async function driftThroughApi(
  stack: TestStack,
  installId: string,
  options: { limit?: number; timeoutMs?: number } = {},
): Promise<DriftJobPage> {
  const started = await stack.api(`/installs/${installId}/drift`, { method: 'POST' });
  assert.equal(started.status, 202, await started.clone().text());
  const { statusUrl } = (await started.json()) as { statusUrl: string };
  const job = await eventually(
    async () => {
      const page = (await (await stack.api(`${statusUrl}?limit=${options.limit ?? 100}`)).json()) as DriftJobPage;
      return page.state === 'running' ? undefined : page;
    },
    options.timeoutMs ?? 120_000,
    'the drift job',
  );
  assert.equal(job.state, 'done', `drift job failed: ${job.error}`);
  return job;
}

/** Users sharing an email, and data events beyond one per recorded Stripe event, as the emulator holds them. */
export async function duplicatesInIntercom(
  stack: TestStack,
  installId: string,
  workspaceId: string,
): Promise<{ contacts: number; events: number }> {
  const workspace = stack.intercom.workspace(workspaceId);
  const byEmail = new Map<string, number>();
  for (const contact of workspace.contacts) {
    const email = contact.role === 'user' ? normalizeEmail(contact.email) : null;
    if (email) byEmail.set(email, (byEmail.get(email) ?? 0) + 1);
  }
  const duplicateContacts = [...byEmail.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
  const recorded = await stack.db.pool.query<{ count: string }>(
    `SELECT count(*) FROM stripe_events WHERE install_id = $1 AND type = ANY($2) AND customer_id IS NOT NULL`,
    [installId, [...DATA_EVENT_TYPES]],
  );
  const ours = workspace.events.filter((event) => event.event_name.startsWith('stripe-')).length;
  return { contacts: duplicateContacts, events: Math.max(0, ours - Number(recorded.rows[0]?.count ?? 0)) };
}

/** The end of every fault case: reconcile finds no drift and Intercom holds no duplicate contact or event. */
export async function assertLossless(
  stack: TestStack,
  installId: string,
  workspaceId: string,
): Promise<{ drift: number; duplicateContacts: number; duplicateEvents: number; customersChecked: number }> {
  const report = await reconcile(stack, installId);
  const duplicates = await duplicatesInIntercom(stack, installId, workspaceId);
  assert.deepEqual(report.drifted.slice(0, 5), [], `drift: ${JSON.stringify(report.totals)}`);
  assert.deepEqual(duplicates, { contacts: 0, events: 0 }, 'duplicates in Intercom');
  assert.ok(report.customersChecked > 0, 'reconcile checked no customer');
  return {
    drift: report.drifted.length,
    duplicateContacts: duplicates.contacts,
    duplicateEvents: duplicates.events,
    customersChecked: report.customersChecked,
  };
}

/** Intercom write requests so far (creates, updates, data events). */
export function intercomWrites(stack: TestStack, workspaceId: string): number {
  const counts = stack.intercom.requestCounts(workspaceId);
  return (counts['POST /contacts'] ?? 0) + (counts['PUT /contacts/:id'] ?? 0) + (counts['POST /events'] ?? 0);
}

/** Resolves with the milliseconds from now until Intercom receives its next write (writes resumed). */
export async function msUntilNextWrite(stack: TestStack, workspaceId: string): Promise<number> {
  const from = Date.now();
  const before = intercomWrites(stack, workspaceId);
  await eventually(
    async () => (intercomWrites(stack, workspaceId) > before ? true : undefined),
    300_000,
    'the next write to Intercom',
  );
  return Date.now() - from;
}

/** One line per case, collected by the suite and printed at the end: the figures the issue asks for. */
export function recordFigures(name: string, figures: Record<string, number | string | null>): void {
  process.stdout.write(`FAULT-FIGURES ${JSON.stringify({ case: name, ...figures })}\n`);
}

/**
 * The live-sync oracle (contacts and data events from the emulator's Stripe state) after a crash, where a data event
 * may have been sent twice (see compareWorkspace). Returns how many events were sent twice.
 */
export function assertConvergedAfterCrash(
  stack: TestStack,
  target: LiveInstall,
  book: CustomerBook,
  eventsBefore: ReadonlySet<string>,
): { contacts: number; dataEvents: number; resentEvents: number } {
  const { contacts, dataEvents, resentEvents } = compareWorkspace(stack, target, book, eventsBefore, {
    resendAllowed: true,
  });
  return { contacts, dataEvents, resentEvents };
}
