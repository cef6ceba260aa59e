import type { Pool } from 'pg';
import type { Config } from '../config';
import type { SecretBox } from '../crypto/secret-box';
import type { InstallWorkflows } from '../temporal-client/workflows';
import type { Install } from '../db/installs';
import { getCustomers, getCustomersByEmail, type MirroredCustomer } from '../db/mirror';
import { customerHistory } from '../db/customer-history';
import { activeInstallsOfWorkspace } from '../db/support-reads';
import { InstallContexts } from '../activities/install-context';
import { createIntercomClient } from '../vendors/intercom';
import type { CustomerDrift } from '../reconcile/reconcile';
import type { DriftJobPage } from '../reconcile/drift-jobs';
import { normalizeEmail } from '../mapping';
import { HttpError } from '../shared/http-error';
import { showMembers } from './contact-customers';
import { customerFacts } from './facts';

export interface ExplainDeps {
  pool: Pool;
  config: Config;
  secrets: SecretBox;
  workflows: InstallWorkflows;
  /** The install's newest drift job, one page of it (InstallService.driftJob). */
  driftPage(install: Install, offset: number, limit: number): DriftJobPage | undefined;
}

const DRIFT_PAGE = 1_000;

/**
 * One customer explained (issue 22): Stripe's state read now, the mirror and the attributes the service computes from
 * it, what Intercom holds now, the differences the install's newest drift report found for it (the drift job's own
 * comparison, so they are /drift's), the last write, its recorded events (pending ones `received`) and its failure.
 * `key` is a customer id or an email (several customers with one email: the newest, the others listed).
 */
export async function explainCustomer(deps: ExplainDeps, install: Install, key: string) {
  const found = await findExplainable(deps, install, key);
  const workspaceInstall = (await activeInstallsOfWorkspace(deps.pool, install.intercomWorkspaceId)).find(
    (one) => one.id === install.id,
  ) ?? { ...install, primary: false };
  const [shown, ...others] = await showMembers(deps.pool, workspaceInstall, found, new Date());
  if (!shown) throw new Error('a mirrored customer shows');
  const customerId = shown.customer.customerId;
  const history = await customerHistory(deps.pool, install.id, customerId);
  const [stripeNow, intercomNow] = await Promise.all([
    readStripe(deps, install, customerId),
    readIntercom(deps, install, history.contactId),
  ]);
  return {
    installId: install.id,
    customerId,
    sameEmail: others.map((other) => other.customer.customerId),
    stripeNow,
    mirror: { observedAt: shown.customer.observedAt.toISOString(), facts: customerFacts(shown) },
    computedAttributes: shown.attributes,
    intercomNow,
    differences: driftOf(deps, install, customerId),
    lastWrite: history.lastWrite && {
      at: history.lastWrite.at?.toISOString() ?? null,
      createdByUs: history.lastWrite.createdByUs,
      workflow: deps.workflows.links(install.id).sync,
    },
    events: history.events,
    pendingEvents: history.events.filter((event) => event.status === 'received').length,
    failure: history.failure,
  };
}

export type CustomerExplained = Awaited<ReturnType<typeof explainCustomer>>;

/** The mirrored customers `key` names (a customer id, or an email: all with it); 404 naming `field` when none. */
export async function findExplainable(
  deps: Pick<ExplainDeps, 'pool'>,
  install: Install,
  key: string,
  field = 'customerId',
): Promise<MirroredCustomer[]> {
  const email = key.includes('@') ? normalizeEmail(key) : null;
  const found =
    email === null
      ? await getCustomers(deps.pool, install.id, [key.trim()])
      : await getCustomersByEmail(deps.pool, install.id, [email]);
  if (found.length === 0) {
    throw new HttpError(
      404,
      'not_found',
      `No Stripe customer ${key} in this install's mirror: check the id or email.`,
      field,
    );
  }
  return found;
}

async function readStripe(deps: ExplainDeps, install: Install, customerId: string) {
  if (install.status === 'disabled') return { error: 'install disabled: its Stripe key is wiped' };
  try {
    const { stripe } = await new InstallContexts(deps).load(install.id);
    return { customer: await stripe.customers.retrieve(customerId) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

async function readIntercom(deps: ExplainDeps, install: Install, contactId: string | null) {
  if (contactId === null) return { contact: null };
  if (!install.intercomTokenSealed) return { error: 'install disabled: its Intercom token is wiped' };
  try {
    const client = createIntercomClient(
      deps.secrets.open(install.intercomTokenSealed),
      install.intercomRegion,
      deps.config,
    );
    const contact = await client.contacts.find({ contact_id: contactId });
    return {
      contact: { id: contact.id, email: contact.email ?? null, name: contact.name ?? null, role: contact.role },
      customAttributes: contact.custom_attributes ?? {},
    };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** The customer's entry in the newest drift report: its problems ([] when it was checked and in step). */
function driftOf(deps: ExplainDeps, install: Install, customerId: string) {
  const first = deps.driftPage(install, 0, DRIFT_PAGE);
  if (!first?.report) {
    return { report: null, message: `no finished drift report: POST /installs/${install.id}/drift starts one` };
  }
  let entry: CustomerDrift | undefined;
  for (let offset = 0; offset < first.report.driftedTotal && !entry; offset += DRIFT_PAGE) {
    const page = offset === 0 ? first : deps.driftPage(install, offset, DRIFT_PAGE);
    entry = page?.report?.drifted.find((drift) => drift.customerId === customerId);
  }
  return { report: { jobId: first.id, finishedAt: first.finishedAt }, problems: entry?.problems ?? [] };
}
