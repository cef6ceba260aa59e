import pino, { type Logger } from 'pino';

/** Paths pino blanks in every log line, so secrets never reach a log even when an object carrying one is logged. */
export const redactedPaths = [
  'apiKey',
  'accessToken',
  'token',
  'secret',
  'webhookSecret',
  'authorization',
  'password',
  '*.apiKey',
  '*.accessToken',
  '*.token',
  '*.secret',
  '*.webhookSecret',
  '*.authorization',
  '*.password',
  'stripe.apiKey',
  'intercom.accessToken',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["stripe-signature"]',
  'config.ADMIN_TOKEN',
  'config.ENCRYPTION_KEY',
  'config.DATABASE_URL',
];

/** JSON lines on stdout, or on `fd` (2: tools whose stdout carries their result). */
export function createLogger(level: string, name = 'stripe-intercom-sync', fd = 1): Logger {
  const options = { name, level, redact: { paths: redactedPaths, censor: '[redacted]' } };
  return fd === 1 ? pino(options) : pino(options, pino.destination(fd));
}

export type { Logger };
