/** Intercom `data_type` values for custom data attributes (`POST /data_attributes`). */
export type IntercomDataType = 'string' | 'float' | 'boolean' | 'integer' | 'date';

export type AttributeValue = string | number | boolean | null;

/** Custom attributes for one contact, keyed by full attribute name (prefix included). */
export type CustomAttributes = Record<string, AttributeValue>;

export interface AttributeDefinition {
  name: string;
  /** Intercom `data_type`. */
  type: IntercomDataType;
  description: string;
}

/** The attributes of docs/data.md. Types cannot be changed once created in Intercom: never change a row, add new ones. */
export const ATTRIBUTE_DEFINITIONS = [
  { suffix: 'id', type: 'string', description: 'Stripe customer id' },
  { suffix: 'account_balance', type: 'float', description: 'Stripe customer balance (positive = owed)' },
  { suffix: 'currency', type: 'string', description: 'Stripe customer currency' },
  { suffix: 'delinquent', type: 'boolean', description: 'Stripe customer is delinquent' },
  { suffix: 'plan_name', type: 'string', description: 'Primary subscription plan' },
  { suffix: 'plan_price', type: 'float', description: 'Primary subscription price per period, all items' },
  { suffix: 'plan_interval', type: 'string', description: 'Primary subscription billing interval' },
  { suffix: 'subscription_status', type: 'string', description: 'Primary subscription status' },
  { suffix: 'subscription_period_start', type: 'date', description: 'Primary subscription current period start' },
  { suffix: 'card_brand', type: 'string', description: 'Brand of the card that pays' },
  { suffix: 'card_expires_at', type: 'date', description: 'End of the paying card expiry month' },
  { suffix: 'last_charge_failed', type: 'boolean', description: 'Latest Stripe charge failed' },
  { suffix: 'mrr', type: 'float', description: 'Monthly recurring revenue, discounts applied' },
  { suffix: 'subscription_count', type: 'integer', description: 'Subscriptions not canceled' },
  { suffix: 'trial_end', type: 'date', description: 'Primary subscription trial end' },
  { suffix: 'cancel_at_period_end', type: 'boolean', description: 'Primary subscription cancels at period end' },
  { suffix: 'customer_since', type: 'date', description: 'Stripe customer created' },
  { suffix: 'deleted', type: 'boolean', description: 'Customer deleted in Stripe' },
  { suffix: 'email', type: 'string', description: 'Stripe customer email' },
  { suffix: 'subscription_ended_at', type: 'date', description: 'When the last subscription ended (churned)' },
  { suffix: 'cancel_at', type: 'date', description: 'Scheduled cancellation of the primary subscription' },
  { suffix: 'payment_method_type', type: 'string', description: 'Type of the payment method that pays' },
  { suffix: 'last_charge_amount', type: 'float', description: 'Latest succeeded charge amount' },
  { suffix: 'last_charge_at', type: 'date', description: 'Latest succeeded charge date' },
  { suffix: 'total_spent', type: 'float', description: 'Succeeded charges minus refunds, customer currency' },
  { suffix: 'collection_paused', type: 'boolean', description: 'Primary subscription payment collection paused' },
  { suffix: 'collection_resumes_at', type: 'date', description: 'When paused payment collection resumes' },
] as const satisfies ReadonlyArray<{ suffix: string; type: IntercomDataType; description: string }>;

export type AttributeSuffix = (typeof ATTRIBUTE_DEFINITIONS)[number]['suffix'];

const METADATA_SUFFIX_PREFIX = 'meta_';
const VALID_NAME = /^[A-Za-z0-9_-]+$/;
const VALID_PREFIX = /^[A-Za-z0-9_-]*$/;

/** Intercom attribute names may hold letters, digits, `_` and `-` only. */
export function isValidAttributeName(name: string): boolean {
  return VALID_NAME.test(name);
}

export function assertValidPrefix(prefix: string): void {
  if (!VALID_PREFIX.test(prefix)) {
    throw new AttributeNameError(`attribute prefix ${JSON.stringify(prefix)} may only hold letters, digits, _ and -`);
  }
}

/** Every character Intercom would reject becomes `_`, so a given key always maps to the same attribute. */
export function sanitizeMetadataKey(key: string): string {
  return key.replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * Attribute name per Stripe metadata key (`<prefix>meta_<sanitised key>`). Throws when a key is empty or two keys
 * sanitise to the same name: that is an install configuration error, better refused when it is saved.
 */
export function metadataAttributeNames(prefix: string, metadataKeys: ReadonlyArray<string>): Map<string, string> {
  assertValidPrefix(prefix);
  const names = new Map<string, string>();
  const keysByName = new Map<string, string>();
  for (const key of metadataKeys) {
    if (key === '') throw new AttributeNameError('metadata key must not be empty');
    const name = `${prefix}${METADATA_SUFFIX_PREFIX}${sanitizeMetadataKey(key)}`;
    const clash = keysByName.get(name);
    if (clash !== undefined && clash !== key) {
      throw new AttributeNameError(
        `metadata keys ${JSON.stringify(clash)} and ${JSON.stringify(key)} both map to attribute ${name}`,
      );
    }
    keysByName.set(name, key);
    names.set(key, name);
  }
  return names;
}

export function attributeName(prefix: string, suffix: AttributeSuffix): string {
  return `${prefix}${suffix}`;
}

/** Everything to create in Intercom before the first contact write: the attribute table plus one string per metadata key. */
export function attributeDefinitions(prefix: string, metadataKeys: ReadonlyArray<string>): AttributeDefinition[] {
  assertValidPrefix(prefix);
  const standard = ATTRIBUTE_DEFINITIONS.map(({ suffix, type, description }) => ({
    name: attributeName(prefix, suffix),
    type,
    description,
  }));
  const metadata = [...metadataAttributeNames(prefix, metadataKeys)].map(([key, name]) => ({
    name,
    type: 'string' as const,
    description: `Stripe customer metadata "${key}"`,
  }));
  return [...standard, ...metadata];
}

export class AttributeNameError extends Error {
  override name = 'AttributeNameError';
}
