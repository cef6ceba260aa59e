import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { StripeStateReader, STRIPE_READ_ATTEMPTS } from '../../src/reconcile/stripe-state';

type Page = { data: { id: string; object: string; customer?: string }[]; has_more: boolean };
type Answer = Page | Error;

/** A Stripe client whose lists answer from scripts (one answer per call, the last repeated), counting calls. */
function fakeStripe(scripts: Partial<Record<'customers' | 'subscriptions' | 'charges', Answer[]>>) {
  const calls: Record<string, number> = {};
  const empty: Page = { data: [], has_more: false };
  const list = (name: string) => ({
    list: async () => {
      const script = (scripts as Record<string, Answer[] | undefined>)[name] ?? [empty];
      const answer = script[Math.min(calls[name] ?? 0, script.length - 1)] as Answer;
      calls[name] = (calls[name] ?? 0) + 1;
      // A read takes a moment, so the lists read at once interleave as against Stripe.
      await new Promise((resolve) => setImmediate(resolve));
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  const stripe = {
    customers: list('customers'),
    subscriptions: list('subscriptions'),
    charges: list('charges'),
    products: list('products'),
    prices: list('prices'),
    coupons: list('coupons'),
  } as unknown as Stripe;
  return { stripe, calls };
}

const rateLimited = () =>
  new Stripe.errors.StripeRateLimitError({
    message: 'Too many requests',
    type: 'invalid_request_error',
    statusCode: 429,
  });
const badRequest = () =>
  new Stripe.errors.StripeInvalidRequestError({
    message: 'No such thing',
    type: 'invalid_request_error',
    statusCode: 400,
  });
const customersPage = (ids: string[], hasMore: boolean): Page => ({
  data: ids.map((id) => ({ id, object: 'customer' })),
  has_more: hasMore,
});

describe('reconcile: Stripe reads (issue 17: the import’s pacer and retry rules)', () => {
  it('reads a page again after a 429, waiting 1 s then 2 s as the import’s retry policy does', async () => {
    const { stripe, calls } = fakeStripe({
      customers: [rateLimited(), rateLimited(), customersPage(['cus_2'], true), customersPage(['cus_1'], false)],
    });
    const pauses: number[] = [];
    const reader = new StripeStateReader(stripe, undefined, async (ms) => void pauses.push(ms));
    const state = await reader.read([]);
    assert.deepEqual(
      state.customers.map((customer) => customer.customerId),
      ['cus_2', 'cus_1'],
    );
    assert.deepEqual(pauses, [1_000, 2_000]);
    assert.equal(calls.customers, 4);
  });

  it('reports every listed customer, also when the customers list is the last read to finish', async () => {
    // A 429 first: the customers list answers after every other list.
    const { stripe } = fakeStripe({ customers: [rateLimited(), customersPage(['cus_2', 'cus_1'], false)] });
    const reports: number[] = [];
    const reader = new StripeStateReader(
      stripe,
      (progress) => reports.push(progress.customersListed),
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
    );
    await reader.read([]);
    assert.equal(reports.at(-1), 2, `reports: ${reports.join(', ')}`);
  });

  it('fails at the first error a retry cannot mend, and starts no read after it', async () => {
    const { stripe, calls } = fakeStripe({
      customers: [customersPage(['cus_3'], true), customersPage(['cus_2'], true), customersPage(['cus_1'], false)],
      charges: [badRequest()],
    });
    const reader = new StripeStateReader(stripe, undefined, async () => undefined);
    await assert.rejects(reader.read([]), /No such thing/);
    assert.equal(calls.charges, 1, 'a bad request is not read again');
    assert.ok((calls.customers ?? 0) < 3, `customers pages read after the failure: ${calls.customers}`);
  });

  it(`gives up on a read after ${STRIPE_READ_ATTEMPTS} attempts`, async () => {
    const { stripe, calls } = fakeStripe({ subscriptions: [rateLimited()] });
    const reader = new StripeStateReader(stripe, undefined, async () => undefined);
    await assert.rejects(reader.read([]), /Too many requests/);
    assert.equal(calls.subscriptions, STRIPE_READ_ATTEMPTS);
  });
});
