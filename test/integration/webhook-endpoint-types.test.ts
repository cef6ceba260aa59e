import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../../emulators/stripe';
import { createStripeClient } from '../../src/vendors/stripe';
import { subscribeToMissingEventTypes } from '../../src/webhooks/webhook-endpoints';
import { SUBSCRIBED_EVENT_TYPES } from '../../src/mapping';

describe('webhooks: an endpoint created before an event type was handled is subscribed to it', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;

  before(async () => {
    emulator = await startStripeEmulator({ port: 0, allowLocalWebhookUrls: true });
    stripe = createStripeClient(emulator.keys.restricted, { STRIPE_API_BASE: emulator.url });
  });
  after(() => emulator.close());

  it('adds charge.captured to an endpoint subscribed to everything else, then leaves it alone', async () => {
    const before = SUBSCRIBED_EVENT_TYPES.filter((type) => type !== 'charge.captured');
    const endpoint = await stripe.webhookEndpoints.create({
      url: 'http://127.0.0.1:9/webhooks/stripe/ins_old',
      enabled_events: before as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
    });
    assert.deepEqual(await subscribeToMissingEventTypes(stripe, endpoint.id), ['charge.captured']);
    const updated = await stripe.webhookEndpoints.retrieve(endpoint.id);
    assert.deepEqual([...updated.enabled_events].sort(), [...SUBSCRIBED_EVENT_TYPES].sort());
    assert.deepEqual(await subscribeToMissingEventTypes(stripe, endpoint.id), []);
  });
});
