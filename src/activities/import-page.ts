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
import { IMPORT_PAGE_SIZE } from '../workflows/constants';
import type { CreatedRange, ImportPageKind } from '../shared/billing-lists';
import { CUSTOMER_LIST_EXPANSIONS, SUBSCRIPTION_LIST_EXPANSIONS } from '../vendors/stripe';
import type { InstallContext, InstallContexts } from './install-context';
import { installFailure, withFailureMapping } from './failures';

export interface ImportPageInput {
  installId: string;
  importId: string;
  kind: ImportPageKind;
  startingAfter: string | null;
  /** Only objects created in this range (Stripe's `created[gte]`/`created[lt]` list filter); omitted: all. */
  created?: CreatedRange;
  /**
   * Customers pages only: the import's progress before this page and its estimate, recorded with the page (absolute,
   * so a retry cannot count twice). Operators see it in the imports table; the workflow holds the real figures.
   */
  progress?: { pagesBefore: number; customersBefore: number; estimatedTotal: number | null };
}

export interface ImportPageResult {
  customerIds: string[];
  nextCursor: string | null;
  hasMore: boolean;
  /** `created` of the first and last object on the page (lists are newest first); null on an empty page. */
  newestCreated: number | null;
  oldestCreated: number | null;
}

export interface FirstPagesResult {
  /** When the account was created (unix s): nothing in it is older (see readAccountCreated). */
  accountCreated: number;
  /** The first page of each list asked for, in the order asked. */
  pages: ImportPageResult[];
}

export function createImportActivities(deps: { pool: Pool; contexts: InstallContexts }) {
  const { pool, contexts } = deps;

  /** Reads one Stripe list page into the mirror. One Stripe call. */
  async function importPage(input: ImportPageInput): Promise<ImportPageResult> {
    return withFailureMapping(async () => readPage(await loadImportable(input.installId), input));
  }

  /**
   * The account's creation time and the first page of each of `kinds`, read at once: what every import starts with,
   * in one activity where it took one per list and one for the account before them. A small account is read whole
   * here. As many Stripe calls as there are lists, plus one.
   */
  async function importFirstPages(input: {
    installId: string;
    importId: string;
    kinds: readonly ImportPageKind[];
  }): Promise<FirstPagesResult> {
    return withFailureMapping(async () => {
      const context = await loadImportable(input.installId);
      const [created, ...pages] = await Promise.all([
        accountCreated(context.stripe),
        ...input.kinds.map((kind) =>
          readPage(context, { installId: input.installId, importId: input.importId, kind, startingAfter: null }),
        ),
      ]);
      return { accountCreated: created, pages };
    });
  }

  async function loadImportable(installId: string): Promise<InstallContext> {
    const context = await contexts.load(installId);
    if (context.install.status === 'disabled') throw installFailure(`install ${installId} is disabled`);
    return context;
  }

  async function readPage({ install, stripe }: InstallContext, input: ImportPageInput): Promise<ImportPageResult> {
    const part = {
      ...(input.startingAfter ? { starting_after: input.startingAfter } : {}),
      ...(input.created ? { created: createdFilter(input.created) } : {}),
    };
    const observedAt = new Date();
    switch (input.kind) {
      case 'products': {
        const page = await stripe.products.list({ limit: IMPORT_PAGE_SIZE, ...part });
        await upsertCatalog(
          pool,
          install.id,
          page.data.map((data) => ({ id: data.id, kind: 'product', data })),
          observedAt,
        );
        return listResult(page);
      }
      case 'prices': {
        const page = await stripe.prices.list({ limit: IMPORT_PAGE_SIZE, expand: ['data.tiers'], ...part });
        await upsertCatalog(
          pool,
          install.id,
          page.data.map((data) => ({ id: data.id, kind: 'price', data })),
          observedAt,
        );
        return listResult(page);
      }
      case 'coupons': {
        const page = await stripe.coupons.list({ limit: IMPORT_PAGE_SIZE, ...part });
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
          ...part,
        });
        await upsertSubscriptions(pool, install.id, page.data, observedAt);
        return listResult(page);
      }
      case 'charges': {
        // Every charge, not only recent ones: an annual plan's or a one-off customer's latest charge can be a year
        // old and still decide `last_charge_failed`, and total spent adds them all up. One call per 100 charges
        // stays far within Stripe's read quota.
        const page = await stripe.charges.list({ limit: IMPORT_PAGE_SIZE, ...part });
        await upsertCharges(pool, install.id, page.data, observedAt);
        await upsertLatestCharges(pool, install.id, latestChargePerCustomer(page.data, observedAt));
        return listResult(page);
      }
      case 'customers': {
        const page = await stripe.customers.list({
          limit: IMPORT_PAGE_SIZE,
          expand: CUSTOMER_LIST_EXPANSIONS,
          ...part,
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
        const result = { ...listResult(page), customerIds: page.data.map((customer) => customer.id) };
        if (input.progress) {
          await recordImportProgress(pool, input.importId, {
            pages: input.progress.pagesBefore + 1,
            customersSeen: input.progress.customersBefore + page.data.length,
            cursor: result.nextCursor,
            estimatedTotal: input.progress.estimatedTotal,
          });
        }
        return result;
      }
    }
  }

  /**
   * When the account was created (unix s): nothing in it is older, so it bounds the import's list splits and its
   * estimate of the customer count. One Stripe call. Imports started since FIRST_PAGES_PATCH (workflows/import.ts)
   * read it in importFirstPages; kept for the runs started before.
   */
  async function readAccountCreated(input: { installId: string }): Promise<number> {
    return withFailureMapping(async () => {
      const { stripe } = await contexts.load(input.installId);
      return accountCreated(stripe);
    });
  }

  async function finishImport(input: { installId: string; importId: string; customersSeen: number }) {
    const finishedAt = await completeImport(pool, input.importId, input.customersSeen);
    await pool.query(`UPDATE installs SET status = 'live', updated_at = now() WHERE id = $1 AND status = 'importing'`, [
      input.installId,
    ]);
    return { finishedAt: finishedAt.toISOString() };
  }

  return { importPage, importFirstPages, readAccountCreated, finishImport };
}

/** When the account was created (unix s), for importFirstPages and readAccountCreated. One Stripe call. */
async function accountCreated(stripe: Stripe): Promise<number> {
  return (await stripe.accounts.retrieveCurrent()).created ?? 0;
}

function createdFilter(range: CreatedRange): Stripe.RangeQueryParam {
  return { ...(range.gte !== null ? { gte: range.gte } : {}), ...(range.lt !== null ? { lt: range.lt } : {}) };
}

function listResult(page: Stripe.ApiList<{ id: string; created: number }>): ImportPageResult {
  return {
    customerIds: [],
    nextCursor: page.data.at(-1)?.id ?? null,
    hasMore: page.has_more,
    newestCreated: page.data[0]?.created ?? null,
    oldestCreated: page.data.at(-1)?.created ?? null,
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
