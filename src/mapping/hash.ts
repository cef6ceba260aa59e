import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so equal content always gives the same text whatever the key order.
 * Undefined members are dropped, as JSON.stringify does.
 */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value)) ?? 'null';
}

/**
 * sha256 (hex) of what is written to a contact: custom attributes plus email/name when written. Stored per contact,
 * an unchanged hash means the write can be skipped.
 */
export function attributesHash(written: object): string {
  return createHash('sha256').update(stableStringify(written)).digest('hex');
}

function sortKeysDeep(raw: unknown): unknown {
  const value = hasToJson(raw) ? raw.toJSON() : raw;
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
  }
  return sorted;
}

function hasToJson(value: unknown): value is { toJSON(): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
