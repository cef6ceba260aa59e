import type { Pool } from 'pg';
import type Stripe from 'stripe';
import type { Config } from '../config';
import type { SecretBox } from '../crypto/secret-box';
import type { SessionStore, WebSession } from '../auth/sessions';
import { freshStripeAccessToken, StripeGrantRevoked } from '../credentials/stripe-access';
import { chargeHistory } from '../mapping/charges';
import { customerAttributes } from '../mapping/customer-attributes';
import { attributeDefinitions } from '../mapping/attributes';
import { catalogFromLists } from '../mapping/catalog';
import { normalizeEmail } from '../mapping/email';
import type { PreviewInput, PreviewSample } from '../shared/preview';
import { createIntercomClient } from '../vendors/intercom';
import { createStripeClient, CUSTOMER_LIST_EXPANSIONS, SUBSCRIPTION_LIST_EXPANSIONS } from '../vendors/stripe';
import { installFailure, toActivityFailure } from './failures';
import { IntercomGateway } from './intercom-gateway';
import { RateWindows } from './rate-window';

export interface PreviewPageInput extends PreviewInput {
  page: number;
  cursor: string | null;
  samplesWanted: number;
}

export interface PreviewPageResult {
  customers: number;
  matched: number;
  toCreate: number;
  noEmail: number;
  samples: PreviewSample[];
  nextCursor: string | null;
}

const PAGE_SIZE = 100;
/** The default prefix: a preview runs before the install (and its prefix setting) exists. */
const SAMPLE_PREFIX = 'STRIPE_';

/** The preview's reads: one Stripe page, the Intercom search for its new emails, nothing written to Intercom. */
export function createPreviewActivities(deps: {
  pool: Pool;
  config: Config;
  secrets: SecretBox;
  sessions: SessionStore;
}) {
  const { pool, config, secrets, sessions } = deps;
  const rateWindows = new RateWindows();

  async function stripeKeyOf(session: WebSession): Promise<string> {
    if (!session.stripe) throw installFailure('Stripe is not connected any more; connect it again.');
    if (!session.stripe.grantId) return secrets.open(session.stripe.keySealed ?? '');
    try {
      return await freshStripeAccessToken(pool, secrets, config, session.stripe.grantId);
    } catch (err) {
      if (err instanceof StripeGrantRevoked) throw installFailure(err.message);
      throw err;
    }
  }

  /** Counts each email once per preview, on the first page that saw it; a retried page gets the same answer. */
  async function countNewEmails(previewId: string, page: number, matched: Map<string, boolean>) {
    if (matched.size > 0) {
      await pool.query(
        `INSERT INTO preview_emails (preview_id, email_normalized, page, matched)
         SELECT $1, email, $2, hit FROM unnest($3::text[], $4::boolean[]) AS t(email, hit)
         ON CONFLICT DO NOTHING`,
        [previewId, page, [...matched.keys()], [...matched.values()]],
      );
    }
    const { rows } = await pool.query<{ matched: string; to_create: string }>(
      `SELECT count(*) FILTER (WHERE matched) AS matched, count(*) FILTER (WHERE NOT matched) AS to_create
       FROM preview_emails WHERE preview_id = $1 AND page = $2`,
      [previewId, page],
    );
    return { matched: Number(rows[0]?.matched ?? 0), toCreate: Number(rows[0]?.to_create ?? 0) };
  }

  async function previewPage(input: PreviewPageInput): Promise<PreviewPageResult> {
    const session = await sessions.findByPublicId(input.sessionId);
    if (!session?.intercom) throw installFailure('The browser session that started this preview has ended.');
    try {
      const stripe = createStripeClient(await stripeKeyOf(session), config);
      const intercomClient = createIntercomClient(
        secrets.open(session.intercom.tokenSealed),
        session.intercom.region,
        config,
      );
      const { window, inFlight } = rateWindows.for(session.intercom.workspaceId);
      const intercom = new IntercomGateway(intercomClient, window, undefined, undefined, inFlight);
      const list = await stripe.customers.list({
        limit: PAGE_SIZE,
        expand: CUSTOMER_LIST_EXPANSIONS,
        ...(input.cursor && { starting_after: input.cursor }),
      });
      const live = list.data.filter((customer) => !(customer as { deleted?: boolean }).deleted);
      const emails = new Set(live.flatMap((customer) => normalizeEmail(customer.email) ?? []));
      const known = await pool.query<{ email_normalized: string }>(
        `SELECT email_normalized FROM preview_emails WHERE preview_id = $1 AND page <> $2 AND email_normalized = ANY($3)`,
        [input.previewId, input.page, [...emails]],
      );
      const unseen = [...emails].filter((email) => !known.rows.some((row) => row.email_normalized === email));
      const found = await intercom.findContacts('email', unseen);
      const counts = await countNewEmails(
        input.previewId,
        input.page,
        new Map(unseen.map((email) => [email, found.has(email)])),
      );
      return {
        customers: live.length,
        noEmail: live.filter((customer) => normalizeEmail(customer.email) === null).length,
        ...counts,
        samples: await samplesOf(stripe, live, input.samplesWanted),
        nextCursor: list.has_more ? (list.data.at(-1)?.id ?? null) : null,
      };
    } catch (err) {
      throw toActivityFailure(err);
    }
  }

  return { previewPage };
}

const DATE_TYPES = new Set(['date', 'datetime']);

/**
 * Attribute sets as the import would write them (product names from the first catalogue page), dates shown as dates.
 * Customers with a payment method on file make the most telling examples; only those few are read further (their
 * subscriptions, canceled ones included, and charges: two calls each), not the whole page.
 */
async function samplesOf(stripe: Stripe, customers: Stripe.Customer[], wanted: number): Promise<PreviewSample[]> {
  if (wanted <= 0) return [];
  const paying = (customer: Stripe.Customer) =>
    customer.invoice_settings?.default_payment_method || customer.default_source ? 1 : 0;
  const chosen = customers
    .filter((customer) => normalizeEmail(customer.email) !== null)
    .sort((a, b) => paying(b) - paying(a))
    .slice(0, wanted);
  if (chosen.length === 0) return [];
  const products = await stripe.products.list({ limit: 100 });
  const catalog = catalogFromLists(products.data, []);
  const now = Math.floor(Date.now() / 1000);
  const types = new Map(
    attributeDefinitions(SAMPLE_PREFIX, []).map((definition) => [definition.name, definition.type]),
  );
  const display = (name: string, value: unknown): PreviewSample['attributes'][string] => {
    if (typeof value === 'number' && DATE_TYPES.has(types.get(name) ?? '')) {
      return new Date(value * 1000).toISOString().slice(0, 10);
    }
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null;
  };
  return Promise.all(
    chosen.map(async (customer) => {
      const [subscriptions, charges] = await Promise.all([
        stripe.subscriptions.list({
          customer: customer.id,
          status: 'all',
          limit: 100,
          expand: SUBSCRIPTION_LIST_EXPANSIONS,
        }),
        stripe.charges.list({ customer: customer.id, limit: 100 }),
      ]);
      const attributes = customerAttributes({
        customer,
        subscriptions: subscriptions.data,
        charges: chargeHistory(charges.data),
        catalog,
        prefix: SAMPLE_PREFIX,
        metadataKeys: [],
        now,
      });
      return {
        customerId: customer.id,
        email: customer.email ?? '',
        attributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, display(name, value)])),
      };
    }),
  );
}
