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
  'config.INTERCOM_CLIENT_SECRET',
  'config.STRIPE_APP_SECRET_KEY',
  'refreshToken',
  '*.refreshToken',
];

export function createLogger(level: string, name = 'stripe-intercom-sync'): Logger {
  return pino({ name, level, redact: { paths: redactedPaths, censor: '[redacted]' } });
}

export type { Logger };
