import { randomBytes, randomUUID } from 'node:crypto';

/** 24 hex characters like Intercom's (Mongo ObjectId-style) contact ids: seconds, then randomness. */
export function newContactId(nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0');
  return seconds + randomBytes(8).toString('hex');
}

/** Intercom app `id_code`s are 8 lowercase alphanumerics. */
export function newWorkspaceId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(8), (byte) => alphabet[byte % alphabet.length]).join('');
}

/** Real tokens are base64 of `tok:…`; mimicking the prefix lets secret-redaction rules be tested against emulator tokens. */
export function newAccessToken(): string {
  return `dG9rOm${randomBytes(30).toString('base64url')}`;
}

export function newRequestId(): string {
  return randomUUID();
}
