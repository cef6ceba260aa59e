import type Stripe from 'stripe';
import { z } from 'zod';

/**
 * The fields of a Stripe event the intake relies on. Everything else is kept as sent (loose objects), because the
 * event is stored verbatim and the mapping layer reads the rest.
 */
const eventEnvelopeSchema = z.looseObject({
  id: z.string().min(1).max(255),
  object: z.literal('event'),
  type: z.string().min(1).max(255),
  livemode: z.boolean(),
  created: z.number().int().nonnegative(),
  data: z.looseObject({ object: z.looseObject({}) }),
  /** Connect events name the connected account; events of an account's own endpoint do not. */
  account: z.string().min(1).nullish(),
});

export class InvalidEvent extends Error {
  override name = 'InvalidEvent';
}

/** Checks that a parsed JSON value is a Stripe event with the fields we use; throws InvalidEvent naming the first gap. */
export function parseEventEnvelope(value: unknown): Stripe.Event {
  const result = eventEnvelopeSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new InvalidEvent(`not a Stripe event (${where}${issue?.message ?? 'invalid'})`);
  }
  // The schema checked the envelope; the object's own shape depends on the type and is the mapping layer's concern.
  return value as Stripe.Event;
}

/** The connected account a Connect delivery is about, read before the signature is checked (to find the secret). */
export function accountOfUnverified(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || !('account' in value)) return null;
  const { account } = value;
  return typeof account === 'string' && account.length > 0 ? account : null;
}
