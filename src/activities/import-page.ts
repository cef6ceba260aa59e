import { heartbeat } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { Pool } from 'pg';
import { normalizeEmail, referencedId } from '../mapping';
import {
  upsertCatalog,
  upsertCharges,
  upsertCustomers,
  upsertLatestCharges,
  upsertSubscriptions,
  type LatestCharge,
} from '../db/mirror';
import { completeImport, recordImportProgress } from '../db/imports';
import { setInstallStatus } from '../db/installs';
import { IMPORT_PAGE_SIZE } from '../shared/limits';
import { CUSTOMER_LIST_EXPANSIONS, SUBSCRIPTION_LIST_EXPANSIONS } from './clients/stripe';
import type { InstallContexts } from './install-context';
import { installFailure, withFailureMapping } from './failures';

export type ImportPageKind = 'products' | 'prices' | 'coupons' | 'subscriptions' | 'charges' | 'customers';

/** What the estimate of the total customer count rests on (Stripe lists have no total). */
export interface EstimateBasis {
  accountCreated: number;
  newestCreated: number | null;
}

export interface ImportPageInput {
  installId: string;
  importId: string;
  kind: ImportPageKind;
  startingAfter: string | null;
  /** Progress before this page, recorded with it (absolute, so a retry cannot count twice). */
  pagesBefore: number;
  customersBefore: number;
  estimateBasis: EstimateBasis | null;
}

export interface ImportPageResult {
  customerIds: string[];
  nextCursor: string | null;
  hasMore: boolean;
  estimatedTotal: number | null;
  estimateBasis: EstimateBasis | null;
}

export function createImportActivities(deps: { pool: Pool; contexts: InstallContexts }) {
  const { pool, contexts } = deps;

  /** Reads one Stripe list page into the mirror. One Stripe call (plus one account read on the first customer page). */
  async function importPage(input: ImportPageInput): Promise<ImportPageResult> {
    return withFailureMapping(async () => {
      const { install, stripe } = await contexts.load(input.installId);
      if (install.status === 'disabled') throw installFailure(`install ${install.id} is disabled`);
      const cursor = input.startingAfter ? { starting_after: input.startingAfter } : {};
      const observedAt = new Date();
      heartbeat();
      switch (input.kind) {
        case 'products': {
          const page = await stripe.products.list({ limit: IMPORT_PAGE_SIZE, ...cursor });
          await upsertCatalog(
            pool,
            install.id,
            page.data.map((data) => ({ id: data.id, kind: 'product', data })),
            observedAt,
          );
          return listResult(page);
        }
        case 'prices': {
          const page = await stripe.prices.list({ limit: IMPORT_PAGE_SIZE, expand: ['data.tiers'], ...cursor });
          await upsertCatalog(
            pool,
            install.id,
            page.data.map((data) => ({ id: data.id, kind: 'price', data })),
            observedAt,
          );
          return listResult(page);
        }
        case 'coupons': {
          const page = await stripe.coupons.list({ limit: IMPORT_PAGE_SIZE, ...cursor });
          await upsertCatalog(
            pool,
            install.id,
            page.data.map((data) => ({ id: data.id, kind: 'coupon', data })),
            observedAt,
          );
          return listResult(page);
        }
        case 'subscriptions': {
          // Across the account, canceled ones included: one call per 100 subscriptions, none per customer.
          const page = await stripe.subscriptions.list({
            limit: IMPORT_PAGE_SIZE,
            status: 'all',
            expand: SUBSCRIPTION_LIST_EXPANSIONS,
            ...cursor,
          });
          await upsertSubscriptions(pool, install.id, page.data, observedAt);
          return listResult(page);
        }
        case 'charges': {
          // Every charge, not only recent ones: an annual plan's or a one-off customer's latest charge can be a year
          // old and still decide `last_charge_failed`, and total spent adds them all up. One call per 100 charges
          // stays far within Stripe's read quota.
          const page = await stripe.charges.list({ limit: IMPORT_PAGE_SIZE, ...cursor });
          await upsertCharges(pool, install.id, page.data, observedAt);
          await upsertLatestCharges(pool, install.id, latestChargePerCustomer(page.data, observedAt));
          return listResult(page);
        }
        case 'customers': {
          const page = await stripe.customers.list({
            limit: IMPORT_PAGE_SIZE,
            expand: CUSTOMER_LIST_EXPANSIONS,
            ...cursor,
          });
          await upsertCustomers(
            pool,
            install.id,
            page.data.map((customer) => ({
              customerId: customer.id,
              emailNormalized: normalizeEmail(customer.email),
              deleted: false,
              customer,
              observedAt,
            })),
          );
          heartbeat();
          const basis = input.estimateBasis ?? {
            accountCreated: (await stripe.accounts.retrieveCurrent()).created ?? 0,
            newestCreated: null,
          };
          const estimate = estimateTotal(basis, page.data, input.customersBefore);
          const result = { ...listResult(page), customerIds: page.data.map((customer) => customer.id), ...estimate };
          await recordImportProgress(pool, input.importId, {
            pages: input.pagesBefore + 1,
            customersSeen: input.customersBefore + page.data.length,
            cursor: result.nextCursor,
            estimatedTotal: result.estimatedTotal,
          });
          return result;
        }
      }
    });
  }

  async function finishImport(input: { installId: string; importId: string; customersSeen: number }) {
    const finishedAt = await completeImport(pool, input.importId, input.customersSeen);
    await pool.query(`UPDATE installs SET status = 'live', updated_at = now() WHERE id = $1 AND status = 'importing'`, [
      input.installId,
    ]);
    return { finishedAt: finishedAt.toISOString() };
  }

  async function failImport(input: { installId: string; importId: string; reason: string }) {
    await pool.query(`UPDATE imports SET status = 'failed', finished_at = now() WHERE id = $1`, [input.importId]);
    await setInstallStatus(pool, input.installId, 'failed', input.reason);
  }

  return { importPage, finishImport, failImport };
}

function listResult(page: Stripe.ApiList<{ id: string }>): ImportPageResult {
  return {
    customerIds: [],
    nextCursor: page.data.at(-1)?.id ?? null,
    hasMore: page.has_more,
    estimatedTotal: null,
    estimateBasis: null,
  };
}

/** Charges come newest first, so a customer's first charge on the page is its latest on the page. */
function latestChargePerCustomer(charges: Stripe.Charge[], observedAt: Date) {
  const latest = new Map<string, LatestCharge>();
  for (const charge of charges) {
    const customerId = referencedId(charge.customer);
    if (customerId && !latest.has(customerId)) {
      latest.set(customerId, { id: charge.id, status: charge.status, created: charge.created });
    }
  }
  return [...latest].map(([customerId, charge]) => ({ customerId, charge, observedAt }));
}

/**
 * Customers are listed newest first and were created between the account's creation and the newest customer, so
 * the share of that span covered so far estimates the share of customers seen.
 */
function estimateTotal(basis: EstimateBasis, customers: Stripe.Customer[], seenBefore: number) {
  const newestCreated = basis.newestCreated ?? customers[0]?.created ?? null;
  const oldestSeen = customers.at(-1)?.created;
  const seen = seenBefore + customers.length;
  let estimatedTotal: number | null = null;
  if (newestCreated !== null && oldestSeen !== undefined && newestCreated > oldestSeen) {
    const covered = (newestCreated - oldestSeen) / Math.max(newestCreated - basis.accountCreated, 1);
    estimatedTotal = Math.max(seen, Math.round(seen / Math.min(Math.max(covered, 1e-6), 1)));
  }
  return { estimatedTotal, estimateBasis: { accountCreated: basis.accountCreated, newestCreated } };
}
