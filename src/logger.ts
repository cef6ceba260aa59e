import pino, { type DestinationStream, type Logger } from 'pino';

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
  'config.INTERCOM_CLIENT_SECRET',
  'config.STRIPE_APP_SECRET_KEY',
  'refreshToken',
  '*.refreshToken',
];

/** JSON lines on stdout, or on `destination` (tests read what would be logged). */
export function createLogger(level: string, name = 'stripe-intercom-sync', destination?: DestinationStream): Logger {
  const options = { name, level, redact: { paths: redactedPaths, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
