/** Intercom rejects string attribute and metadata values longer than 255 characters. */
export const INTERCOM_MAX_STRING_LENGTH = 255;

/** Truncates by code points so a surrogate pair (emoji, CJK extension) is never split in half. */
export function truncateForIntercom(value: string): string {
  if (value.length <= INTERCOM_MAX_STRING_LENGTH) return value;
  return Array.from(value).slice(0, INTERCOM_MAX_STRING_LENGTH).join('');
}
