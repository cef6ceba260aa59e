/**
 * The id a Stripe reference names: Stripe gives an expandable field (`charge.customer`, …) as an id, or as the
 * expanded object when asked. Null when there is none.
 */
export function referencedId(reference: unknown): string | null {
  if (typeof reference === 'string') return reference === '' ? null : reference;
  if (typeof reference === 'object' && reference !== null && 'id' in reference && typeof reference.id === 'string') {
    return reference.id;
  }
  return null;
}
