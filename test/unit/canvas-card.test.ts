import assert from 'node:assert/strict';
import { canvasProblems } from '../../emulators/intercom/canvas-kit';
import { buildCard, canvasBytes } from '../../src/canvas/card';
import { MAX_CANVAS_BYTES } from '../../src/canvas/components';
import { canvasBodySignature, canvasSignatureMatches } from '../../src/canvas/signature';
import type { CustomerFacts } from '../../src/customer-view/facts';

const NOW = 1_790_000_000;

function facts(index: number): CustomerFacts {
  return {
    stripeAccountId: 'acct_1',
    primaryAccount: true,
    livemode: true,
    customerId: `cus_${index}`,
    email: 'many@example.com',
    name: `Customer ${index} ${'x'.repeat(100)}`,
    deleted: false,
    currency: 'jpy',
    balance: 0,
    mrr: 1200,
    delinquent: false,
    totalSpent: 5000,
    paymentMethod: { type: 'sepa_debit', cardBrand: null, cardExpiresAt: null },
    subscriptions: [1, 2, 3, 4, 5].map((n) => ({
      id: `sub_${index}_${n}`,
      status: 'active' as const,
      plan: `Plan ${n} ${'y'.repeat(80)}`,
      interval: 'month',
      amount: 1200,
      currency: 'jpy',
      periodEnd: NOW + 86_400,
      cancelAt: null,
      trialEnd: null,
      endedAt: null,
    })),
    charges: [1, 2, 3, 4, 5].map((n) => ({
      id: `ch_${n}`,
      status: 'succeeded',
      amount: 1200,
      refunded: 0,
      currency: 'jpy',
      created: NOW - n * 86_400,
    })),
    dashboardUrl: `https://dashboard.stripe.com/acct_1/customers/cus_${index}`,
  };
}

describe('inbox card', () => {
  it('stays under 64 KB, counting the customers left out', () => {
    const canvas = buildCard({ customers: Array.from({ length: 300 }, (_, i) => facts(i)), accounts: 1, now: NOW });
    assert.ok(canvasBytes(canvas) <= MAX_CANVAS_BYTES, `${canvasBytes(canvas)} bytes`);
    const components = canvas.content.components;
    const note = components.find((one) => one.type === 'text' && / more not shown$/.test(one.text));
    assert.ok(note && note.type === 'text');
    const shown = components.filter((one) => one.type === 'button' && one.label === 'Open in Stripe').length;
    assert.equal(note.text, `${300 - shown} more not shown`);
    assert.ok(shown > 10, `${shown} customers shown`);
    assert.deepEqual(canvasProblems(JSON.stringify({ canvas })), []);
  });

  it('writes amounts in the currency’s own decimals', () => {
    const canvas = buildCard({ customers: [facts(1)], accounts: 1, now: NOW });
    const table = canvas.content.components.find((one) => one.type === 'data-table');
    assert.ok(table && table.type === 'data-table');
    assert.deepEqual(table.items[0], { type: 'field-value', field: 'MRR', value: '1200 JPY' });
  });
});

describe('Canvas Kit request signature', () => {
  const secret = 'app-client-secret';
  const body = '{"workspace_id":"abc"}';
  it('accepts the hex HMAC-SHA256 of the exact body', () => {
    assert.equal(canvasSignatureMatches(body, canvasBodySignature(body, secret), secret), true);
    assert.equal(canvasSignatureMatches(body, canvasBodySignature(body, secret).toUpperCase(), secret), true);
  });
  it('refuses another body, another secret, a missing or malformed header', () => {
    assert.equal(canvasSignatureMatches(`${body} `, canvasBodySignature(body, secret), secret), false);
    assert.equal(canvasSignatureMatches(body, canvasBodySignature(body, 'other'), secret), false);
    assert.equal(canvasSignatureMatches(body, undefined, secret), false);
    assert.equal(canvasSignatureMatches(body, 'sha256=abc', secret), false);
  });
});

describe('Canvas Kit answer shapes (emulator)', () => {
  it('names what Intercom would refuse', () => {
    assert.deepEqual(canvasProblems('{"canvas":{"content":{"components":[{"type":"text"}]}}}'), [
      'canvas.content.components.0.text: Invalid input: expected string, received undefined',
    ]);
    assert.deepEqual(canvasProblems('nope'), ['answer is not JSON']);
  });
});
