/**
 * A Stripe metadata value by key, reading own properties only: `metadata[key]` for a key such as `constructor` or
 * `__proto__` would otherwise find Object.prototype's members (a function rendered as "function Object()…").
 */
export function metadataValue(metadata: Record<string, unknown> | null | undefined, key: string): string | null {
  if (!metadata || !Object.hasOwn(metadata, key)) return null;
  const value = metadata[key];
  return typeof value === 'string' ? value : null;
}

/** Keys every JavaScript object inherits (`__proto__`, `constructor`, `toString`, …): refused as metadata keys. */
export const isReservedObjectKey = (key: string): boolean => key in Object.prototype;
