/**
 * Stripe and Intercom emails are matched case-insensitively after trimming (an address that differs only in case is
 * the same person); empty means no email.
 */
export function normalizeEmail(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const normalized = raw.trim().toLowerCase();
  return normalized === '' ? null : normalized;
}
