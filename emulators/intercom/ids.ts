import { randomBytes, randomUUID } from 'node:crypto';

const PROCESS_PART = randomBytes(5).toString('hex');
let counter = 0;

/**
 * 24 hex characters built like the ObjectIds Intercom uses for contacts (seconds, per-process randomness, counter),
 * so ids sort by creation as callers comparing "the oldest contact" by id expect.
 */
export function newContactId(nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0');
  counter = (counter + 1) % 0x1000000;
  return seconds + PROCESS_PART + counter.toString(16).padStart(6, '0');
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
