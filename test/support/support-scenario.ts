import type { ContactJson } from '../../emulators/intercom';
import { SESSION_COOKIE, SessionStore } from '../../src/auth/sessions';
import { sessionSigner } from '../../src/auth/signing';
import { secretBoxFor } from '../../src/crypto/secret-box';
import { FormBrowser } from './oauth-flow';
import { install, waitForQuiet, type LiveInstall } from './live-sync';
import type { TestStack } from './stack';

const DAY = 86_400;

export interface SupportScenario {
  target: LiveInstall;
  workspace: { workspaceId: string; token: string };
  /** Intercom users by the first part of their email: paying, churned, failing, unknown, shared. */
  contacts: Map<string, ContactJson>;
  /** Stripe customer ids by name: Paying Ada, Churned Bo, Failing Cy, Shared One, Shared Two. */
  customerIds: Map<string, string>;
}

/**
 * Issue 22's customers, installed and written to Intercom: a paying one (card expiring in 10 days, a partly refunded
 * charge, 12.50 owed), a churned one, a failing one (past_due, a failed charge), two sharing an email, and an Intercom
 * user with no Stripe customer; an open invoice of the paying one and a failed one of the failing one arrive as events
 * after the install. The Canvas Kit client secret is set, so the inbox card answers.
 */
export async function arrangeSupportScenario(stack: TestStack): Promise<SupportScenario> {
  stack.config.INTERCOM_CLIENT_SECRET = stack.intercom.oauthApp.clientSecret;
  const customerIds = new Map<string, string>();
  const contacts = new Map<string, ContactJson>();
  const admin = stack.stripe.admin;
  const now = Math.floor(Date.now() / 1000);
  const common = { emitEvents: false } as const;
  admin.createProduct({ ...common, id: 'prod_CardPro', name: 'Pro' });
  admin.createPrice({
    ...common,
    id: 'price_CardPro',
    product: 'prod_CardPro',
    currency: 'usd',
    interval: 'month',
    unitAmount: 4900,
    nickname: 'Pro monthly',
  });
  const customer = (key: string, email: string, extra: { balance?: number } = {}) => {
    const created = admin.createCustomer({ ...common, email, name: key, currency: 'usd', ...extra });
    customerIds.set(key, created.id);
    return created.id;
  };
  const soon = new Date((now + 10 * DAY) * 1000);
  const paying = customer('Paying Ada', 'paying@example.com', { balance: 1_250 });
  admin.attachPaymentMethod({
    ...common,
    customer: paying,
    brand: 'visa',
    expMonth: soon.getUTCMonth() + 1,
    expYear: soon.getUTCFullYear(),
  });
  admin.createSubscription({ ...common, customer: paying, items: [{ price: 'price_CardPro' }] });
  const charge = admin.createCharge({ ...common, customer: paying, amount: 4_900, created: now - DAY });
  admin.refundCharge(charge.id, { ...common, amount: 900 });
  const churned = customer('Churned Bo', 'churned@example.com');
  admin.createSubscription({
    ...common,
    customer: churned,
    items: [{ price: 'price_CardPro' }],
    status: 'canceled',
    canceledAt: now - 40 * DAY,
    created: now - 400 * DAY,
  });
  const failing = customer('Failing Cy', 'failing@example.com');
  admin.attachPaymentMethod({ ...common, customer: failing, brand: 'mastercard', expMonth: 12, expYear: 2040 });
  admin.createSubscription({ ...common, customer: failing, items: [{ price: 'price_CardPro' }], status: 'past_due' });
  admin.createCharge({ ...common, customer: failing, amount: 4_900, status: 'failed' });
  customer('Shared One', 'shared@example.com');
  customer('Shared Two', 'shared@example.com');

  const workspace = stack.intercom.createWorkspace();
  for (const email of ['paying', 'churned', 'failing', 'unknown', 'shared']) {
    contacts.set(
      email,
      stack.intercom.createContact(workspace.workspaceId, { role: 'user', email: `${email}@example.com` }),
    );
  }
  const target = await install(stack, { workspace });
  await waitForQuiet(stack, target.installId);
  // Invoices after the install, with their events: the card lists invoices from the recorded events.
  admin.createInvoice({ customer: paying, amountDue: 4_900, status: 'open', description: 'Pro monthly' });
  const unpaid = admin.createInvoice({ customer: failing, amountDue: 4_900, status: 'open' });
  admin.failInvoicePayment(unpaid.id as string);
  await waitForQuiet(stack, target.installId);
  return { target, workspace, contacts, customerIds };
}

/** A browser signed in to the install pages as an admin of the scenario's workspace (its session made directly). */
export async function signedInBrowser(stack: TestStack, scenario: SupportScenario): Promise<FormBrowser> {
  const sessions = new SessionStore(stack.service.pool, sessionSigner(stack.config));
  const { cookie } = await sessions.signIn(sessions.start().session, {
    workspaceId: scenario.target.workspaceId,
    workspaceName: 'Support workspace',
    region: 'us',
    adminId: '991267',
    adminName: 'Support Lead',
    tokenSealed: secretBoxFor(stack.config).seal(scenario.workspace.token),
  });
  const browser = new FormBrowser(stack.service.apiUrl);
  browser.setCookie(SESSION_COOKIE, cookie);
  return browser;
}
