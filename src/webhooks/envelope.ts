import type Stripe from 'stripe';
import { z } from 'zod';

const MAX_UNIX_SECONDS = 253_402_300_799;

/** Stripe objects nest about a dozen levels (expanded invoice lines, discounts); far deeper is not a Stripe event. */
export const MAX_EVENT_DEPTH = 64;

/**
 * A lone UTF-16 surrogate (a `\ud800` escape with no pair): JSON.parse keeps it, jsonb refuses it. In unicode mode a
 * pair is one code point, so only lone halves match.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why an event could not be stored as it is, if it cannot: PostgreSQL's jsonb refuses `\u0000` and lone surrogates
 * in any string, and
 * nesting beyond MAX_EVENT_DEPTH is refused here before it costs a database round trip (a failed insert would be
 * answered 503, and Stripe would retry it for 3 days).
 */
function unstorable(value: unknown): string | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (typeof item.value === 'string') {
      if (item.value.includes('\0')) return `${item.path || 'event'}: contains a NUL character (\\u0000)`;
      if (LONE_SURROGATE.test(item.value)) return `${item.path || 'event'}: contains a lone UTF-16 surrogate`;
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth >= MAX_EVENT_DEPTH) return `${item.path}: nested deeper than ${MAX_EVENT_DEPTH} levels`;
    for (const [key, child] of Object.entries(item.value)) {
      // Capped: the path goes into the answer, and a key can be as long as the body.
      const path = (item.path ? `${item.path}.${key}` : key).slice(0, 200);
      if (key.includes('\0')) return `${item.path || 'event'}: a key contains a NUL character (\\u0000)`;
      if (LONE_SURROGATE.test(key)) return `${item.path || 'event'}: a key contains a lone UTF-16 surrogate`;
      stack.push({ value: child, path, depth: item.depth + 1 });
    }
  }
  return undefined;
}

/**
 * The fields of a Stripe event the intake relies on. Everything else is kept as sent (loose objects), because the
 * event is stored verbatim and the mapping layer reads the rest.
 */
const eventEnvelopeSchema = z.looseObject({
  id: z.string().min(1).max(255),
  object: z.literal('event'),
  type: z.string().min(1).max(255),
  livemode: z.boolean(),
  /** PostgreSQL timestamps end in year 294276; anything past year 9999 is not a Stripe time. */
  created: z.number().int().nonnegative().max(MAX_UNIX_SECONDS, 'expected a unix timestamp before the year 10000'),
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
  const problem = unstorable(value);
  if (problem !== undefined) throw new InvalidEvent(`not a Stripe event (${problem})`);
  // The schema checked the envelope; the object's own shape depends on the type and is the mapping layer's concern.
  return value as Stripe.Event;
}

/** The connected account a Connect delivery is about, read before the signature is checked (to find the secret). */
export function accountOfUnverified(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || !('account' in value)) return null;
  const { account } = value;
  return typeof account === 'string' && account.length > 0 ? account : null;
}
