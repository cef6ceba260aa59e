import { z } from 'zod';

/**
 * The JSON `GET /installs/:id` answers, as one schema: the route answers what it parses (so a field the schema does
 * not know never reaches a client), and the tests, the scripts and the documented example in docs/integration.md
 * read it with the same schema. Objects are strict: a new field must be added here, where integrators look.
 */

const isoTime = z.iso.datetime({ offset: true });

const waitingOnSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('no_worker'), taskQueue: z.string(), message: z.string() }),
  z.strictObject({
    kind: z.literal('retrying'),
    workflow: z.enum(['sync', 'import']),
    activity: z.string(),
    dependency: z.string().nullable(),
    attempt: z.number().int(),
    lastError: z.string().nullable(),
    nextAttemptAt: isoTime.nullable(),
  }),
  z.strictObject({
    kind: z.literal('stalled'),
    workflow: z.enum(['sync', 'import']),
    activity: z.string(),
    attempt: z.number().int(),
    since: isoTime,
    worker: z.string().nullable(),
  }),
]);

const count = z.number().int().nonnegative();
const phaseName = z.enum(['billing', 'customers', 'finishing']);
const runOutcome = z.enum(['running', 'completed', 'stopped']);
const runKind = z.enum(['import', 'resync']);

const progressSchema = z.strictObject({
  importId: z.string(),
  kind: runKind,
  phase: z.union([phaseName, z.enum(['starting', 'done'])]),
  phases: z.array(
    z.strictObject({ name: phaseName, label: z.string(), state: z.enum(['done', 'current', 'waiting']) }),
  ),
  billingObjects: count,
  customersRead: count,
  customersDone: count,
  contactsWritten: count,
  total: count.nullable(),
  totalBasis: z.enum(['preview', 'earlier_runs', 'final']).nullable(),
  percent: z.number().min(0).max(100).nullable(),
  secondsLeft: z.number().nonnegative().nullable(),
  startedAt: isoTime,
  finishedAt: isoTime.nullable(),
  outcome: runOutcome,
});

export const installStatusSchema = z.strictObject({
  id: z.string(),
  state: z.enum(['importing', 'live', 'disabled', 'failed']),
  livemode: z.boolean(),
  stripeAccountId: z.string(),
  intercomWorkspaceId: z.string(),
  attributePrefix: z.string(),
  matchBy: z.string(),
  createdAt: isoTime,
  lastError: z.string().nullable(),
  import: z
    .strictObject({
      id: z.string(),
      status: z.enum(['running', 'completed', 'failed', 'canceled']),
      /** The import workflow's phase while it answers (products … customers, draining, done), else the row's status. */
      phase: z.string(),
      pages: count,
      customersSeen: count,
      estimatedTotal: count.nullable(),
      startedAt: isoTime,
      finishedAt: isoTime.nullable(),
    })
    .nullable(),
  sync: z.strictObject({
    created: count,
    matched: count,
    updated: count.nullable(),
    unchanged: count.nullable(),
    skippedNoEmail: count,
    failed: count,
    eventsSent: count.nullable(),
    queueDepth: count,
    maxQueueDepth: count.nullable(),
    queueBound: count.nullable(),
    running: z.boolean(),
    workerPolling: z.boolean().nullable(),
    waitingOn: z.array(waitingOnSchema).nullable(),
  }),
  webhooks: z.strictObject({
    received: count,
    processed: count,
    failed: count,
    pending: count,
    lastEventAt: isoTime.nullable(),
    recentLagSeconds: z.number().nullable(),
    /** Deliveries acknowledged but not synced, by reason. */
    ignored: z.record(z.string(), count),
  }),
  warnings: z.strictObject({
    count,
    recent: z.array(
      z.strictObject({
        customerId: z.string(),
        code: z.string(),
        contactId: z.string().nullable(),
        message: z.string(),
        lastAt: isoTime,
      }),
    ),
  }),
  /** The Temporal UI's pages of the install's workflows: for operators (the admin API only, never the pages). */
  workflows: z.strictObject({ sync: z.string(), import: z.string() }),
  progress: progressSchema.nullable(),
  notices: z.array(
    z.strictObject({
      key: z.string(),
      tone: z.enum(['bad', 'warn', 'info']),
      text: z.string(),
      fix: z
        .enum(['reconnect_intercom', 'reconnect_stripe', 'see_failures', 'see_warnings', 'connect_again'])
        .nullable(),
    }),
  ),
  health: z.strictObject({ label: z.string(), tone: z.enum(['good', 'busy', 'warn', 'bad', 'off']) }),
  runs: z.array(
    z.strictObject({
      importId: z.string(),
      kind: runKind,
      startedAt: isoTime,
      finishedAt: isoTime.nullable(),
      phaseReached: z.union([phaseName, z.enum(['starting', 'done'])]),
      customersRead: count,
      customersDone: count,
      contactsWritten: count,
      outcome: runOutcome,
    }),
  ),
  /** Customers on an Intercom user (customers sharing an email share one). */
  linkedCustomers: count,
});

export type InstallStatusAnswer = z.infer<typeof installStatusSchema>;
