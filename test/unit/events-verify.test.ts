import assert from 'node:assert/strict';
import Stripe from 'stripe';
import {
  verifyStripeEvent,
  verifyStripeEventFor,
  WebhookRejected,
  type RejectionCode,
} from '../../src/webhooks/verify';
import { accountOfUnverified } from '../../src/webhooks/envelope';

const secret = 'whsec_unit_test_secret';
const otherSecret = 'whsec_another_install';

const body = JSON.stringify({
  id: 'evt_1',
  object: 'event',
  type: 'customer.updated',
  livemode: true,
  created: 1_790_000_000,
  data: { object: { id: 'cus_1', object: 'customer' } },
});

function sign(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? secret,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  });
}

function rejection(work: () => unknown): RejectionCode {
  try {
    work();
  } catch (err) {
    assert.ok(err instanceof WebhookRejected, `expected WebhookRejected, got ${String(err)}`);
    // Our messages never echo the header or the body.
    assert.doesNotMatch(err.message, /v1=[0-9a-f]|cus_1/);
    return err.code;
  }
  assert.fail('expected a rejection');
}

describe('events: Stripe-Signature verification', () => {
  it('returns the event for a valid signature', () => {
    const event = verifyStripeEvent(Buffer.from(body), sign(body), [secret]);
    assert.equal(event.id, 'evt_1');
    assert.equal(event.type, 'customer.updated');
  });

  it('accepts a signature made with any of the candidate secrets', () => {
    const event = verifyStripeEvent(Buffer.from(body), sign(body, { secret: otherSecret }), [secret, otherSecret]);
    assert.equal(event.id, 'evt_1');
  });

  it('names only the candidates whose secret signed the event (issue 10 row 7)', () => {
    const candidates = [
      { install: 'a', secret },
      { install: 'b', secret: otherSecret },
    ];
    const { signers } = verifyStripeEventFor(Buffer.from(body), sign(body, { secret: otherSecret }), candidates);
    assert.deepEqual(
      signers.map((signer) => signer.install),
      ['b'],
    );
  });

  it('refuses a signed event PostgreSQL could not store (issue 10 row 8)', () => {
    const event = JSON.parse(body) as Record<string, unknown>;
    let deep: unknown = [];
    for (let level = 0; level < 100; level += 1) deep = [deep];
    const unstorable = [
      { ...event, created: 99_999_999_999_999 },
      { ...event, data: { object: { id: 'cus_1', object: 'customer', name: 'Ada\u0000' } } },
      { ...event, data: { object: { id: 'cus_1', object: 'customer', deep } } },
    ].map((variant) => JSON.stringify(variant));
    for (const payload of unstorable) {
      assert.notEqual(payload, body);
      assert.equal(
        rejection(() => verifyStripeEvent(Buffer.from(payload), sign(payload), [secret])),
        'invalid_event',
      );
    }
  });

  it('rejects a missing header', () => {
    assert.equal(
      rejection(() => verifyStripeEvent(Buffer.from(body), undefined, [secret])),
      'missing_signature',
    );
  });

  it('rejects a header that is not t=…,v1=…', () => {
    assert.equal(
      rejection(() => verifyStripeEvent(Buffer.from(body), 'garbage', [secret])),
      'malformed_signature',
    );
  });

  it('rejects a signature made with another secret', () => {
    assert.equal(
      rejection(() => verifyStripeEvent(Buffer.from(body), sign(body, { secret: otherSecret }), [secret])),
      'invalid_signature',
    );
  });

  it('rejects a body changed after signing', () => {
    const tampered = body.replace('cus_1', 'cus_2');
    assert.equal(
      rejection(() => verifyStripeEvent(Buffer.from(tampered), sign(body), [secret])),
      'invalid_signature',
    );
  });

  it('rejects a timestamp older than 300 s', () => {
    const stale = sign(body, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    assert.equal(
      rejection(() => verifyStripeEvent(Buffer.from(body), stale, [secret])),
      'stale_signature',
    );
  });

  it('rejects a timestamp more than 300 s in the future (issue 16: it was accepted, replayable until then)', () => {
    const now = Math.floor(Date.now() / 1000);
    assert.equal(
      rejection(() => verifyStripeEvent(Buffer.from(body), sign(body, { timestamp: now + 3600 }), [secret])),
      'stale_signature',
    );
    assert.ok(verifyStripeEvent(Buffer.from(body), sign(body, { timestamp: now + 60 }), [secret]), 'within tolerance');
  });

  it('rejects a signed event holding text jsonb cannot store: a lone surrogate or a NUL (was a 503, retried 3 days)', () => {
    for (const text of ['\\ud800', 'a\\udc00b', '\\u0000']) {
      const payload = body.replace('"cus_1"', `"cus_1", "name": "${text}"`);
      assert.equal(
        rejection(() => verifyStripeEvent(Buffer.from(payload), sign(payload), [secret])),
        'invalid_event',
      );
    }
    const paired = body.replace('"cus_1"', '"cus_1", "name": "\\ud83d\\ude00 ok"');
    assert.ok(verifyStripeEvent(Buffer.from(paired), sign(paired), [secret]), 'a surrogate pair (an emoji) is fine');
  });

  it('rejects a correctly signed body that is not JSON', () => {
    const notJson = '{"id": "evt_1",';
    assert.equal(
      rejection(() => verifyStripeEvent(Buffer.from(notJson), sign(notJson), [secret])),
      'invalid_json',
    );
  });

  it('rejects a correctly signed JSON body that is not a Stripe event', () => {
    const notEvent = JSON.stringify({ id: 'evt_1', object: 'event', type: 'customer.updated' });
    assert.equal(
      rejection(() => verifyStripeEvent(Buffer.from(notEvent), sign(notEvent), [secret])),
      'invalid_event',
    );
  });

  it('rejects an empty body', () => {
    assert.equal(
      rejection(() => verifyStripeEvent(Buffer.alloc(0), sign(''), [secret])),
      'invalid_json',
    );
  });

  it('rejects when the install has no secret at all', () => {
    assert.equal(
      rejection(() => verifyStripeEvent(Buffer.from(body), sign(body), [])),
      'invalid_signature',
    );
  });
});

describe('events: reading the account of an unverified Connect delivery', () => {
  it('reads a string account', () => assert.equal(accountOfUnverified({ account: 'acct_1' }), 'acct_1'));
  it('is null without one', () => {
    assert.equal(accountOfUnverified({ id: 'evt_1' }), null);
    assert.equal(accountOfUnverified({ account: 42 }), null);
    assert.equal(accountOfUnverified([]), null);
    assert.equal(accountOfUnverified(null), null);
  });
});
