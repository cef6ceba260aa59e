import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const httpBase = z.url({ protocol: /^https?$/, message: 'expected an http(s) URL such as http://127.0.0.1:12111' });

/** 32 bytes as 64 hex characters or base64. */
const isKeyText = (value: string): boolean =>
  /^[0-9a-fA-F]{64}$/.test(value) || Buffer.from(value, 'base64').length === 32;
const keyBytes = (value: string): Buffer =>
  /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
const KEY_TEXT_MESSAGE = 'expected 32 bytes as 64 hex characters or base64';

/** The development defaults: fine on a laptop, refused once the service is reachable from elsewhere. */
const DEV_ADMIN_TOKEN = 'dev-admin-token-change-me';
const DEV_ENCRYPTION_KEY = '0'.repeat(64);

/**
 * A key typed or patterned by hand (all zeros, `0123…` repeated, a short passphrase) has few distinct bytes; 32 random
 * bytes have about 30 (fewer than 20 has a probability below 1e-9).
 */
const MIN_DISTINCT_KEY_BYTES = 20;
const isWeakKey = (key: Buffer): boolean => new Set(key).size < MIN_DISTINCT_KEY_BYTES;

/** `localhost`, 127.0.0.0/8 or ::1: nobody but this machine can reach it. */
function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * Why another machine can reach the API, or null when only this one can: a public URL, or a bind on any interface
 * but loopback (HOST=0.0.0.0 in a container is reachable through whatever publishes its port).
 */
function reachableFromElsewhere(config: { PUBLIC_URL: string; HOST: string }): string | null {
  if (!isLoopbackHost(new URL(config.PUBLIC_URL).hostname)) return 'PUBLIC_URL is not loopback';
  if (!isLoopbackHost(config.HOST)) return `HOST=${config.HOST} is not loopback`;
  return null;
}

/**
 * Once reachable, an admin token must be long (`openssl rand -hex 32` gives 64 characters) and not typed by hand
 * (`aaaa…`, `1234…` have few distinct characters; 24 random hex characters have about 13).
 */
const MIN_EXPOSED_TOKEN_LENGTH = 24;
const MIN_DISTINCT_TOKEN_CHARACTERS = 10;
const isWeakToken = (token: string): boolean =>
  token === DEV_ADMIN_TOKEN ||
  token.length < MIN_EXPOSED_TOKEN_LENGTH ||
  new Set(token).size < MIN_DISTINCT_TOKEN_CHARACTERS;

/** Every setting of the service, read from environment variables. Defaults run on a developer machine. */
export const configSchema = z
  .object({
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
    /** TLS to the Temporal frontend (a cluster, Temporal Cloud). Implied by the client certificate or an API key. */
    TEMPORAL_TLS: booleanFlag.default(false),
    /** mTLS client certificate and key (PEM files), e.g. a Temporal Cloud namespace's certificate: both or neither. */
    TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
    TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
    /** The CA that signed the server's certificate (PEM), when it is not a public one. */
    TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
    /** Temporal Cloud API key (sent as a bearer token over TLS). */
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    /** Where `npm start` finds the Temporal CLI when TEMPORAL_ADDRESS is not answering. */
    TEMPORAL_CLI_PATH: z.string().min(1).optional(),
    TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
    TEMPORAL_UI_URL: httpBase.optional(),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** Loopback unless told otherwise: a container (docker-compose) sets 0.0.0.0 to be reachable through its port. */
    HOST: z
      .string()
      .regex(/^[^\s/]+$/, 'expected an interface address such as 127.0.0.1 or 0.0.0.0')
      .default('127.0.0.1'),
    /** `npm run worker` alone: serves /metrics (Node's and the Temporal SDK's, behind METRICS_TOKEN) on this port. */
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /**
     * Activities a worker runs at once. They mostly wait on Stripe or Intercom; each holds a connection of the worker's
     * pool (30) only for a query, and a writing sync batch one of its 12 lock connections, so 40 keep both pools busy
     * without queueing most of them for a connection (a batch waiting for a lock connection holds its slot meanwhile).
     */
    WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(1000).default(40),
    /**
     * Which tasks `npm run worker` polls. `all` (one kind of process) suits one to a few workers. Every workflow
     * activation crosses the worker's main thread twice, the thread its activities run on: with activities keeping it
     * busy (bench:fleet: event-loop lag mean 17–26 ms), a workflow task took a mean 250–530 ms where it takes about
     * 20 ms alone, and a sync run evicted at its hand-over replayed 1,043 events in 11 s where they take 0.7 s
     * (docs/scale.md). `workflows` runs workflow tasks and the local activities they start (a live change to an idle
     * install), `activities` the rest; a deployment runs both kinds, on the same task queue.
     */
    WORKER_TASKS: z.enum(['all', 'workflows', 'activities']).default('all'),
    /**
     * Workflow tasks a worker runs at once: CPU work (replay, commands) of a few ms each, but a task that writes a live
     * change by a local activity holds its slot for the change's Intercom calls (0.3–1 s). The SDK wants at least 2.
     * 10 with local batches slowed a fleet's imports by a third (their tasks waited for slots); 30 did not.
     */
    WORKER_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(2).max(500).default(30),
    /**
     * Local activities (live changes to idle installs) a worker runs at once. Each holds a workflow task slot while it
     * runs, so it must stay below WORKER_WORKFLOW_TASK_SLOTS: the rest are left to tasks that wait on nothing.
     */
    WORKER_LOCAL_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(499).default(20),
    /**
     * Workflow runs a worker keeps in memory, the ones used last. A run evicted from the cache is replayed from its
     * first event at its next task (up to 1,000 events, about 0.7 ms each): this should exceed the runs at work at
     * once (an importing install has two), not the installs, since an idle install's run is short to replay and would
     * only cost memory while cached (docs/scale.md has the figures).
     */
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(250),
    PUBLIC_URL: httpBase.default('http://127.0.0.1:3000'),
    /**
     * A request whose body is still arriving after this is answered 408 and closed (a slow client holding a socket:
     * bodies are at most 1 MiB). Node's default is 300 s.
     */
    HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').default(DEV_ADMIN_TOKEN),
    /** 32 bytes as 64 hex characters or base64: the AES-256-GCM key for secrets at rest. */
    ENCRYPTION_KEY: z.string().refine(isKeyText, KEY_TEXT_MESSAGE).default(DEV_ENCRYPTION_KEY),
    /** Key rotation: several keys, newest first. The newest seals; every one opens. Replaces ENCRYPTION_KEY. */
    ENCRYPTION_KEYS: z
      .string()
      .transform((value) => value.split(',').map((key) => key.trim()))
      .refine((keys) => keys.every(isKeyText), `${KEY_TEXT_MESSAGE}, comma-separated, newest first`)
      .optional(),
    /** Stored Stripe event payloads older than this are deleted (Stripe retries for 3 days, its Events API keeps 30). */
    EVENT_RETENTION_DAYS: z.coerce
      .number()
      .int()
      .min(4, 'at least 4: Stripe retries a delivery for 3 days and duplicates are recognised by the stored events')
      .max(3650)
      .default(35),
    /** Unset: api.stripe.com. The emulator: http://127.0.0.1:12111. */
    STRIPE_API_BASE: httpBase.optional(),
    /** Unset: the install's Intercom region host. The emulator: http://127.0.0.1:12112. */
    INTERCOM_API_BASE: httpBase.optional(),
    ALLOW_TEST_MODE: booleanFlag.default(false),
    /** Alert webhooks (status page): how often installs are checked, and what needs the admin. */
    ALERT_CHECK_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    ALERT_AFTER_MINUTES: z.coerce.number().int().min(1).max(1440).default(10),
    ALERT_FAILURES_THRESHOLD: z.coerce.number().int().min(1).default(25),
    /** Lets an alert webhook be http or on a private address (a local receiver); off: public https only. */
    ALERT_WEBHOOK_ALLOW_PRIVATE: booleanFlag.default(false),
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
    /**
     * When set, `/metrics` needs `Authorization: Bearer <METRICS_TOKEN>` and `/healthz` shows its details (dependency
     * errors, namespace) only with it; its status code, what probes read, stays open.
     */
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Sign-ins started (OAuth redirects to Intercom or Stripe) per client address per minute; more get 429. */
    OAUTH_STARTS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20),
    /** Fin data-connector requests per install (per Fin secret) per minute; more get 429. */
    FIN_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(3_000),
    /**
     * Behind a reverse proxy or load balancer: take the client address from X-Forwarded-For (rate limits, logs). Only
     * when the proxy sets that header itself; otherwise a client could choose its own address.
     */
    TRUST_PROXY: booleanFlag.default(false),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((config, ctx) => {
    if (config.WORKER_LOCAL_ACTIVITY_SLOTS >= config.WORKER_WORKFLOW_TASK_SLOTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKER_LOCAL_ACTIVITY_SLOTS'],
        message: `must be below WORKER_WORKFLOW_TASK_SLOTS (${config.WORKER_WORKFLOW_TASK_SLOTS}): each local activity holds a workflow task slot`,
      });
    }
    if ((config.TEMPORAL_TLS_CERT_PATH === undefined) !== (config.TEMPORAL_TLS_KEY_PATH === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [config.TEMPORAL_TLS_CERT_PATH === undefined ? 'TEMPORAL_TLS_CERT_PATH' : 'TEMPORAL_TLS_KEY_PATH'],
        message: 'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together',
      });
    }
    // Development defaults are refused once anyone but this machine can reach the service.
    const exposed = reachableFromElsewhere(config);
    if (exposed === null) return;
    if (isWeakToken(config.ADMIN_TOKEN)) {
      const what =
        config.ADMIN_TOKEN === DEV_ADMIN_TOKEN
          ? 'the development default'
          : `a short (under ${MIN_EXPOSED_TOKEN_LENGTH} characters) or patterned token`;
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_TOKEN'],
        message: `${what} is refused when ${exposed}; set a random one (openssl rand -hex 32)`,
      });
    }
    const keyVariable = config.ENCRYPTION_KEYS ? 'ENCRYPTION_KEYS' : 'ENCRYPTION_KEY';
    if (isWeakKey(encryptionKeys(config)[0] ?? Buffer.alloc(0))) {
      ctx.addIssue({
        code: 'custom',
        path: [keyVariable],
        message: `a default or patterned key is refused when ${exposed}; set 32 random bytes (openssl rand -hex 32)`,
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; a bad value throws one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  if (present.ENCRYPTION_KEY !== undefined && present.ENCRYPTION_KEYS !== undefined) {
    throw new ConfigError(
      'invalid configuration: ENCRYPTION_KEY: set ENCRYPTION_KEYS (newest first) or ENCRYPTION_KEY, not both',
    );
  }
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

/** The keys that open secrets at rest, newest (the one that seals) first. */
export function encryptionKeys(config: Pick<Config, 'ENCRYPTION_KEY' | 'ENCRYPTION_KEYS'>): Buffer[] {
  return (config.ENCRYPTION_KEYS ?? [config.ENCRYPTION_KEY]).map(keyBytes);
}

/** The key new secrets are sealed with. */
export function encryptionKeyBytes(config: Pick<Config, 'ENCRYPTION_KEY' | 'ENCRYPTION_KEYS'>): Buffer {
  return keyBytes(config.ENCRYPTION_KEYS?.[0] ?? config.ENCRYPTION_KEY);
}

/** Where the API can be reached from this machine, whatever interface HOST binds. */
export function localUrl(config: Pick<Config, 'HOST'>, port: number): string {
  const wildcard = config.HOST === '0.0.0.0' || config.HOST === '::';
  const host = wildcard ? '127.0.0.1' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${port}`;
}

export function temporalUiUrl(config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_UI_PORT'>): string {
  return config.TEMPORAL_UI_URL ?? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
}
