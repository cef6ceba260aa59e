import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const httpBase = z.url({ protocol: /^https?$/, message: 'expected an http(s) URL such as http://127.0.0.1:12111' });

/** Every setting of the service, read from environment variables. Defaults run on a developer machine. */
export const configSchema = z.object({
  /** Unset: an embedded PostgreSQL is started with its data under DATA_DIR. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, message: 'expected postgres://user@host:port/db' }).optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(5433),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'expected host:port')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('stripe-intercom-sync'),
  /** Where `npm start` finds the Temporal CLI when TEMPORAL_ADDRESS is not answering. */
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_UI_URL: httpBase.optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: httpBase.default('http://127.0.0.1:3000'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').default('dev-admin-token-change-me'),
  /** 32 bytes as 64 hex characters or base64: the AES-256-GCM key for secrets at rest. */
  ENCRYPTION_KEY: z
    .string()
    .refine(
      (value) => /^[0-9a-fA-F]{64}$/.test(value) || Buffer.from(value, 'base64').length === 32,
      'expected 32 bytes as 64 hex characters or base64',
    )
    .default('0000000000000000000000000000000000000000000000000000000000000000'),
  /** Unset: api.stripe.com. The emulator: http://127.0.0.1:12111. */
  STRIPE_API_BASE: httpBase.optional(),
  /** Unset: the install's Intercom region host. The emulator: http://127.0.0.1:12112. */
  INTERCOM_API_BASE: httpBase.optional(),
  ALLOW_TEST_MODE: booleanFlag.default(false),
  /** Intercom OAuth (the app store's "Install now"); unset: the install page asks for a pasted access token. */
  INTERCOM_CLIENT_ID: z.string().min(1).optional(),
  INTERCOM_CLIENT_SECRET: z.string().min(1).optional(),
  INTERCOM_OAUTH_URL: httpBase.default('https://app.intercom.com/oauth'),
  /** Stripe Apps OAuth; unset: the install page asks for a pasted restricted key. */
  STRIPE_APP_CLIENT_ID: z.string().min(1).optional(),
  STRIPE_APP_SECRET_KEY: z
    .string()
    .regex(/^sk_(live|test)_[A-Za-z0-9_]+$/, "expected the app's Stripe secret key (sk_live_… or sk_test_…)")
    .optional(),
  STRIPE_OAUTH_AUTHORIZE_URL: httpBase.default('https://marketplace.stripe.com/oauth/v2/authorize'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; a bad value throws one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

export function encryptionKeyBytes(config: Pick<Config, 'ENCRYPTION_KEY'>): Buffer {
  return /^[0-9a-fA-F]{64}$/.test(config.ENCRYPTION_KEY)
    ? Buffer.from(config.ENCRYPTION_KEY, 'hex')
    : Buffer.from(config.ENCRYPTION_KEY, 'base64');
}

export function temporalUiUrl(config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_UI_PORT'>): string {
  return config.TEMPORAL_UI_URL ?? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
}
