import Stripe from 'stripe';
import { InvalidEvent, parseEventEnvelope } from './envelope';

/**
 * Stripe's libraries' default tolerance (https://docs.stripe.com/webhooks): a signed delivery older than this is
 * refused as a possible replay.
 */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type RejectionCode =
  | 'missing_signature'
  | 'malformed_signature'
  | 'invalid_signature'
  | 'stale_signature'
  | 'invalid_json'
  | 'invalid_event';

export const INVALID_SIGNATURE_MESSAGE =
  "the Stripe-Signature does not match the body for this endpoint's signing secret";

/** A delivery that cannot be trusted or read. Answered 400 with nothing recorded. */
export class WebhookRejected extends Error {
  override name = 'WebhookRejected';
  constructor(
    readonly code: RejectionCode,
    message: string,
  ) {
    super(message);
  }
}

/** Messages of StripeSignatureVerificationError that mean the header itself could not be read. */
const MALFORMED_HEADER =
  /unable to extract timestamp|no signatures found with expected scheme|no stripe-signature header/i;
const STALE = /timestamp outside the tolerance zone/i;

/**
 * Verifies `Stripe-Signature` over the raw body against each candidate secret (a Connect account may have several
 * installs) and returns the parsed event. Our own messages only: the SDK's error carries the header and the body,
 * which must not reach a log or a response.
 */
export function verifyStripeEvent(raw: Buffer, header: string | undefined, secrets: string[]): Stripe.Event {
  return verifyStripeEventFor(
    raw,
    header,
    secrets.map((secret) => ({ secret })),
  ).event;
}

/**
 * As verifyStripeEvent, and says which candidates' secrets signed the event: a delivery belongs only to them (another
 * install of the same account has another endpoint and another secret).
 */
export function verifyStripeEventFor<C extends { secret: string }>(
  raw: Buffer,
  header: string | undefined,
  candidates: C[],
): { event: Stripe.Event; signers: C[] } {
  if (!header) throw new WebhookRejected('missing_signature', 'the Stripe-Signature header is required');
  if (raw.length === 0) throw new WebhookRejected('invalid_json', 'the body is empty');
  refuseFutureTimestamp(header);
  let stale = false;
  let parsed: unknown;
  const signers: C[] = [];
  for (const candidate of candidates) {
    try {
      parsed = Stripe.webhooks.constructEvent(raw, header, candidate.secret, SIGNATURE_TOLERANCE_SECONDS);
      signers.push(candidate);
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeSignatureVerificationError)) {
        // The signature matched, so the sender holds the secret, but the body does not parse.
        throw new WebhookRejected('invalid_json', 'the body is not valid JSON');
      }
      if (MALFORMED_HEADER.test(err.message)) {
        throw new WebhookRejected('malformed_signature', 'the Stripe-Signature header is not of the form t=…,v1=…');
      }
      // The signature matched this secret but is too old: remember it, another secret cannot make it fresh.
      if (STALE.test(err.message)) stale = true;
    }
  }
  if (signers.length > 0) {
    try {
      return { event: parseEventEnvelope(parsed), signers };
    } catch (err) {
      if (err instanceof InvalidEvent) throw new WebhookRejected('invalid_event', err.message);
      throw err;
    }
  }
  if (stale) {
    throw new WebhookRejected(
      'stale_signature',
      `the Stripe-Signature timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s old (or the clocks disagree)`,
    );
  }
  throw new WebhookRejected('invalid_signature', INVALID_SIGNATURE_MESSAGE);
}

/**
 * The SDK refuses timestamps too old, not too new; a signature dated far ahead could be replayed until then. The same
 * tolerance both ways (Stripe: https://docs.stripe.com/webhooks#verify-manually, "Preventing replay attacks").
 */
function refuseFutureTimestamp(header: string): void {
  const timestamp = Number(/(?:^|,)\s*t=(\d+)/.exec(header)?.[1]);
  if (Number.isFinite(timestamp) && timestamp - Date.now() / 1000 > SIGNATURE_TOLERANCE_SECONDS) {
    throw new WebhookRejected(
      'stale_signature',
      `the Stripe-Signature timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s in the future (or the clocks disagree)`,
    );
  }
}
