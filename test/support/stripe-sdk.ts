import assert from 'node:assert/strict';
import Stripe from 'stripe';
import type { StripeEmulator } from '../../emulators/stripe';

/** The official SDK exactly as the service configures it, pointed at the emulator. */
export function client(emulator: StripeEmulator, key: string = emulator.keys.live): Stripe {
  return new Stripe(key, { host: '127.0.0.1', port: emulator.port, protocol: 'http', maxNetworkRetries: 0 });
}

/** The StripeError a call fails with (the test fails if it succeeds). */
export async function rejection(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Stripe.errors.StripeError, `expected a StripeError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}
