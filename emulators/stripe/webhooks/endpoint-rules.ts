import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { invalidRequest } from '../errors';

/**
 * What Stripe checks when a webhook endpoint is created (`POST /v1/webhook_endpoints`,
 * https://docs.stripe.com/api/webhook_endpoints/create):
 * - `url`: Stripe delivers over HTTPS to a publicly reachable address ("You can create an HTTPS webhook endpoint",
 *   https://docs.stripe.com/webhooks); a local one is refused with "Invalid URL: URL must be publicly accessible.
 *   Consider using a tool like Stripe CLI to test webhooks locally" (the message Stripe's API answers), and a live
 *   endpoint must use HTTPS (https://docs.stripe.com/webhooks#register-webhook).
 * - `enabled_events`: each one of Stripe's event types, or `*`;
 * - `api_version`: a Stripe API version.
 * Event types and versions are those the `stripe` SDK of our API version declares for this very parameter
 * (`WebhookEndpointCreateParams.EnabledEvent` and `.ApiVersion`), so the emulator knows what Stripe knows.
 */
export interface EndpointRules {
  /** Tests and the demo run their receivers on 127.0.0.1 over plain HTTP. */
  allowLocalUrls: boolean;
}

export function checkNewEndpoint(
  fields: { url: string; enabledEvents: string[]; apiVersion?: string | null },
  livemode: boolean,
  rules: EndpointRules,
): void {
  checkUrl(fields.url, livemode, rules);
  const known = sdkUnion('EnabledEvent');
  fields.enabledEvents.forEach((type, index) => {
    if (!known.has(type)) {
      throw invalidRequest(
        `Invalid enabled_events[${index}]: must be one of the event types Stripe sends, or '*' (got ${JSON.stringify(type)}).`,
        `enabled_events[${index}]`,
      );
    }
  });
  if (fields.apiVersion != null) checkApiVersion(fields.apiVersion, 'api_version');
}

/** One of Stripe's API versions (those the SDK declares), else a 400 naming `param`. */
export function checkApiVersion(version: string, param: string): void {
  if (!sdkUnion('ApiVersion').has(version)) throw invalidRequest(`Invalid API version: ${version}`, param);
}

function checkUrl(raw: string, livemode: boolean, rules: EndpointRules): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidRequest('Invalid URL: An explicit scheme (such as https) must be provided.', 'url');
  }
  if (rules.allowLocalUrls) return;
  if (isLocalHost(url.hostname)) {
    throw invalidRequest(
      'Invalid URL: URL must be publicly accessible. Consider using a tool like Stripe CLI to test webhooks locally: https://github.com/stripe/stripe-cli',
      'url',
    );
  }
  if (livemode && url.protocol !== 'https:') {
    throw invalidRequest('Invalid URL: URL must use HTTPS in live mode.', 'url');
  }
}

function isLocalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host.endsWith('.local') ||
    host === '::1' ||
    host === '0.0.0.0' ||
    /^127\./.test(host) ||
    /^10\./.test(host) ||
    /^192\.168\./.test(host) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(host) ||
    /^169\.254\./.test(host) ||
    /^f[cd][0-9a-f]{2}:/.test(host)
  );
}

const unions = new Map<string, ReadonlySet<string>>();

/** The string literals of `type <name> = '…' | '…';` in the SDK's webhook endpoint declarations. */
function sdkUnion(name: 'EnabledEvent' | 'ApiVersion'): ReadonlySet<string> {
  const cached = unions.get(name);
  if (cached) return cached;
  const declarations = join(dirname(require.resolve('stripe')), 'resources', 'WebhookEndpoints.d.ts');
  const match = new RegExp(`type ${name} = ([^;]+);`).exec(readFileSync(declarations, 'utf8'));
  if (!match?.[1]) throw new Error(`stripe SDK declares no ${name} in ${declarations}`);
  const values = new Set([...match[1].matchAll(/'([^']+)'/g)].map((literal) => literal[1] as string));
  unions.set(name, values);
  return values;
}
