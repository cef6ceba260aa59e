import { createHmac } from 'node:crypto';

/** `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body" keyed by the endpoint secret>`. */
export function signatureHeader(secret: string, payload: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${signature}`;
}
