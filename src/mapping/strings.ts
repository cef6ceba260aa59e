/** Intercom rejects string attribute and metadata values longer than 255 characters. */
export const INTERCOM_MAX_STRING_LENGTH = 255;

/**
 * Cuts to 255 UTF-16 code units, the strictest reading of "characters" that JavaScript and most servers use, and
 * never in the middle of a surrogate pair (emoji, rare CJK).
 */
export function truncateForIntercom(value: string): string {
  if (value.length <= INTERCOM_MAX_STRING_LENGTH) return value;
  const cut = value.slice(0, INTERCOM_MAX_STRING_LENGTH);
  const lastCode = cut.charCodeAt(cut.length - 1);
  const endsWithHighSurrogate = lastCode >= 0xd800 && lastCode <= 0xdbff;
  return endsWithHighSurrogate ? cut.slice(0, -1) : cut;
}
