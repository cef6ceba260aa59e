import type { Pool } from 'pg';
import type { InstallWorkflows } from '../temporal-client/workflows';
import { allObservedSince } from '../db/support-reads';
import { pollUntil } from '../infra/timing';
import type { Install } from '../db/installs';
import { forgetWrittenAttributes, getLinks } from '../db/contacts';
import { getCustomers } from '../db/mirror';
import { HttpError } from '../shared/http-error';
import type { ShownCustomer } from './contact-customers';

/**
 * "Refresh from Stripe": hands the shown customers to their install's sync workflow as refreshes (the worker re-reads
 * them from Stripe within the account's pacing budget and writes Intercom if they changed), then waits up to
 * `waitMs` for the mirror to hold reads started after the request. True when every customer was re-read in time.
 */
export async function rereadShownCustomers(
  deps: { pool: Pool; workflows: InstallWorkflows },
  shown: ShownCustomer[],
  waitMs: number,
): Promise<boolean> {
  const requestedAt = new Date();
  const byInstall = new Map<string, string[]>();
  for (const entry of shown) {
    byInstall.set(entry.install.id, [...(byInstall.get(entry.install.id) ?? []), entry.customer.customerId]);
  }
  await Promise.all(
    [...byInstall].map(([installId, customerIds]) =>
      signalRefresh(deps.workflows, installId, customerIds, requestedAt),
    ),
  );
  const refreshed = async () => {
    const done = await Promise.all(
      [...byInstall].map(([installId, ids]) => allObservedSince(deps.pool, installId, ids, requestedAt)),
    );
    return done.every(Boolean);
  };
  return pollUntil('the refreshed customers', refreshed, { timeoutMs: waitMs, intervalMs: 200 }).then(
    () => true,
    () => false,
  );
}

/** Hands customers to the install's sync workflow to be re-read from Stripe (and written to Intercom if changed). */
export async function signalRefresh(
  workflows: InstallWorkflows,
  installId: string,
  customerIds: string[],
  requestedAt: Date,
): Promise<void> {
  const run = requestedAt.getTime().toString(36);
  await workflows.signalEvents(
    installId,
    customerIds.map((customerId) => ({ eventId: `support_refresh_${run}_${customerId}`, customerId, refresh: true })),
  );
}

/**
 * "Resync this customer": re-read from Stripe and written to Intercom again even when its attributes equal what was
 * last written (Intercom may have been edited since). Returns when the sync workflow has the request queued.
 */
export async function resyncCustomer(
  deps: { pool: Pool; workflows: InstallWorkflows },
  install: Install,
  customerId: string,
): Promise<Date> {
  if (install.status === 'disabled') {
    throw new HttpError(409, 'disabled', `Install ${install.id} is disconnected: connect again to sync.`, 'id');
  }
  const [mirrored] = await getCustomers(deps.pool, install.id, [customerId]);
  if (!mirrored) throw new HttpError(404, 'not_found', `no mirrored customer ${customerId}`, 'customerId');
  const contactId = (await getLinks(deps.pool, install.id, [customerId])).get(customerId);
  if (contactId) await forgetWrittenAttributes(deps.pool, install.id, [contactId]);
  const queuedAt = new Date();
  await signalRefresh(deps.workflows, install.id, [customerId], queuedAt);
  return queuedAt;
}
