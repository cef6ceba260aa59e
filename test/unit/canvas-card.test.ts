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
    invoices: [1, 2, 3].map((n) => ({
      id: `in_${index}_${n}`,
      number: `EMU-${index}-${n}`,
      status: n === 1 ? 'open' : 'paid',
      paymentFailed: n === 1,
      amountDue: 1200,
      currency: 'jpy',
      dueDate: n === 1 ? NOW + 86_400 : null,
      created: NOW - n * 30 * 86_400,
      url: `https://invoice.stripe.com/i/acct_1/test_${index}_${n}`,
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

  it('lists the last invoices with status, amount, due date and a link to the hosted invoice', () => {
    const components = buildCard({ customers: [facts(1)], accounts: 1, now: NOW }).content.components;
    const lines = components.flatMap((one) => (one.type === 'text' && one.text.includes('invoice') ? [one] : []));
    const due = new Date((NOW + 86_400) * 1000).toISOString().slice(0, 10);
    const created = new Date((NOW - 30 * 86_400) * 1000).toISOString().slice(0, 10);
    assert.deepEqual(lines[0], {
      type: 'text',
      text: `${created} · invoice EMU-1-1 payment failed 1200 JPY · due ${due}`,
      style: 'error',
    });
    assert.equal(lines.length, 3);
    assert.match(lines[1]?.text ?? '', /· invoice EMU-1-2 paid 1200 JPY$/);
    const links = components.filter((one) => one.type === 'button' && one.label.startsWith('Invoice '));
    assert.deepEqual(links[0], {
      type: 'button',
      id: 'invoice-in_1_1',
      label: 'Invoice EMU-1-1',
      style: 'link',
      action: { type: 'url', url: 'https://invoice.stripe.com/i/acct_1/test_1_1' },
    });
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
