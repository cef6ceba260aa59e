import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Canvas Kit requests carry `X-Body-Signature`: the hex HMAC-SHA256 of the exact request body keyed with the app's
 * OAuth client secret. No Intercom page describes this header; it follows the scheme of Intercom's webhook
 * notifications (`X-Hub-Signature`, an HMAC of the raw body keyed with the client secret:
 * https://developers.intercom.com/docs/references/webhooks/webhook-models), and the emulator signs the same way.
 */
export function canvasBodySignature(rawBody: string, clientSecret: string): string {
  return createHmac('sha256', clientSecret).update(rawBody, 'utf8').digest('hex');
}

/** Whether `header` is the body's signature, compared in constant time; a missing or malformed header is false. */
export function canvasSignatureMatches(rawBody: string, header: string | undefined, clientSecret: string): boolean {
  if (header === undefined || !/^[0-9a-f]{64}$/i.test(header)) return false;
  const expected = Buffer.from(canvasBodySignature(rawBody, clientSecret), 'hex');
  return timingSafeEqual(expected, Buffer.from(header, 'hex'));
}
