import assert from 'node:assert/strict';
import type { RunFacts, ShownProgress } from '../../src/db/import-progress';
import { html } from '../../src/api/pages/html';
import { statusView } from '../../src/api/pages/status-view';
import { observe, percentOf, runProgress, secondsLeftOf } from '../../src/status/progress';
import type { FullStatus, InstallStatusReport } from '../../src/status/report';
import { healthOf, httpStatusIn, noticesOf } from '../../src/status/trouble';
import { failuresCsv, groupFailures } from '../../src/status/failure-groups';
import { attentionOf, checkAlertUrl } from '../../src/status/alerts';

const startedAt = '2026-11-30T12:00:00.000Z';
const startMs = Date.parse(startedAt);

function report(
  overrides: {
    state?: string;
    lastError?: string | null;
    phase?: string;
    status?: string;
    seen?: number;
    queueDepth?: number;
    syncAnswered?: boolean;
    failed?: number;
    waitingOn?: unknown[];
    warnings?: number;
  } = {},
): InstallStatusReport {
  return {
    id: 'ins_1',
    state: overrides.state ?? 'importing',
    lastError: overrides.lastError ?? null,
    import: {
      id: 'imp_1',
      status: overrides.status ?? 'running',
      phase: overrides.phase ?? 'customers',
      pages: 3,
      customersSeen: overrides.seen ?? 300,
      estimatedTotal: 1000,
      startedAt,
      finishedAt: null,
    },
    sync: {
      created: 10,
      matched: 5,
      updated: null,
      unchanged: null,
      skippedNoEmail: 2,
      failed: overrides.failed ?? 0,
      eventsSent: null,
      queueDepth: overrides.queueDepth ?? 0,
      maxQueueDepth: overrides.syncAnswered === false ? null : 500,
      queueBound: null,
      running: true,
      workerPolling: true,
      waitingOn: overrides.waitingOn ?? [],
    },
    webhooks: {
      received: 5,
      processed: 4,
      failed: 0,
      pending: 1,
      lastEventAt: null,
      recentLagSeconds: null,
      ignored: {},
    },
    warnings: {
      count: overrides.warnings ?? 0,
      recent: Array.from({ length: overrides.warnings ?? 0 }, (_, index) => ({
        customerId: `cus_${index}`,
        code: 'email_taken',
        contactId: null,
        message: 'the email belongs to another user',
        lastAt: startedAt,
      })),
    },
  } as unknown as InstallStatusReport;
}

const facts = (overrides: Partial<RunFacts> = {}): RunFacts => ({
  resync: false,
  billingRead: 40,
  billingKnownBefore: 0,
  mirroredCustomers: 0,
  contactsWritten: 0,
  linkedCustomers: 0,
  expectedCustomers: 1000,
  ...overrides,
});

const shown = (overrides: Partial<ShownProgress> = {}): ShownProgress => ({
  phaseRank: 2,
  billingObjects: 40,
  customersRead: 300,
  customersDone: 200,
  contactsWritten: 200,
  total: 1000,
  percent: null,
  customersStartedAt: new Date(startMs),
  customersDoneAtStart: 0,
  ...overrides,
});

describe('progress model', () => {
  it('counts customers written to Intercom, not those still queued', () => {
    const run = report({ seen: 300, queueDepth: 100 });
    const observed = observe(run, run.import!, facts());
    assert.equal(observed.customersDone, 200);
    assert.equal(observed.total, 1000, "the preview's count");
    assert.equal(observed.phaseRank, 2);
  });

  it('knows nothing of customers done while the sync does not answer; the row alone says the customers phase began', () => {
    const run = report({ phase: 'running', syncAnswered: false });
    const observed = observe(run, run.import!, facts());
    assert.equal(observed.customersDone, null);
    assert.equal(observed.phaseRank, 2, 'the row records customers pages only');
    const fresh = report({ phase: 'running' });
    assert.equal(observe(fresh, { ...fresh.import!, pages: 0 }, facts()).phaseRank, null);
  });

  it('is still writing customers while the import drains its last pages; finishing once every one is written', () => {
    const draining = report({ phase: 'draining', seen: 300, queueDepth: 100 });
    assert.equal(observe(draining, draining.import!, facts()).phaseRank, 2);
    const written = report({ phase: 'draining', seen: 300, queueDepth: 0 });
    assert.equal(observe(written, written.import!, facts()).phaseRank, 3);
  });

  it('has no total (and so no percentage) for a first import without a preview', () => {
    const run = report();
    assert.equal(observe(run, run.import!, facts({ expectedCustomers: null })).total, null);
    assert.equal(percentOf(shown({ total: null }), facts({ expectedCustomers: null })), null);
  });

  it("a resync's total is the customers the earlier runs read", () => {
    const run = report({ seen: 10 });
    assert.equal(observe(run, run.import!, facts({ resync: true, mirroredCustomers: 4926 })).total, 4926);
  });

  it('keeps each phase within its share of the bar: 95 at most before finishing', () => {
    assert.equal(percentOf(shown({ customersDone: 200 }), facts()), 27);
    assert.equal(percentOf(shown({ customersDone: 5000, total: 1000 }), facts()), 95);
    assert.equal(percentOf(shown({ phaseRank: 3, customersDone: 900, customersRead: 1000 }), facts()), 98);
    assert.equal(percentOf(shown({ phaseRank: 4 }), facts()), 100);
    assert.equal(percentOf(shown({ phaseRank: 1 }), facts()), null, 'a first import: no bound on billing lists');
    assert.equal(
      percentOf(
        shown({ phaseRank: 1, billingObjects: 50 }),
        facts({ resync: true, billingRead: 50, billingKnownBefore: 50 }),
      ),
      5,
    );
  });

  it('shows time left from the customers phase rate once it is stable', () => {
    assert.equal(secondsLeftOf(shown({ customersDone: 200 }), startMs + 10_000), null, 'too early');
    assert.equal(secondsLeftOf(shown({ customersDone: 20 }), startMs + 60_000), null, 'too little done');
    assert.equal(secondsLeftOf(shown({ customersDone: 200 }), startMs + 60_000), 240);
  });

  it('names the phases and marks the current one', () => {
    const run = report();
    const progress = runProgress({
      report: run,
      run: run.import!,
      facts: facts(),
      shown: shown(),
      percent: 27,
      nowMs: startMs,
    });
    assert.deepEqual(
      progress.phases.map((phase) => phase.state),
      ['done', 'current', 'waiting'],
    );
    assert.equal(progress.phase, 'customers');
    assert.equal(progress.outcome, 'running');
  });
});

function fullStatus(base: InstallStatusReport, progressShown: ShownProgress, runFacts = facts()): FullStatus {
  const progress = runProgress({
    report: base,
    run: base.import!,
    facts: runFacts,
    shown: progressShown,
    percent: percentOf(progressShown, runFacts),
    nowMs: startMs + 60_000,
  });
  const notices = noticesOf(base, startMs + 60_000);
  return {
    ...base,
    progress,
    notices,
    health: healthOf(base, notices, progress.outcome === 'running', runFacts.resync),
    runs: [],
    linkedCustomers: 280,
  };
}

describe('status page view', () => {
  it('says how many of about how many, with the basis of the total', () => {
    const view = statusView(fullStatus(report(), shown()));
    assert.equal(view.progress, '200 of about 1,000 customers written to Intercom.');
    assert.match(view.totalNote, /preview’s count/);
    assert.equal(view.percentText, '27 %');
    assert.equal(view.timeLeft, 'about 4 min');
    assert.equal(view.health.label, 'Importing');
  });

  it('a resync says checked N of M, K changed', () => {
    const view = statusView(
      fullStatus(report(), shown({ customersDone: 3189, total: 4926, contactsWritten: 0 }), facts({ resync: true })),
    );
    assert.equal(view.progress, 'Checked 3,189 of about 4,926 customers, 0 changed.');
    assert.equal(view.health.label, 'Resyncing');
  });

  it('explains the numbers of a finished import', () => {
    const base = report({ status: 'completed', phase: 'done', state: 'live', seen: 300 });
    const view = statusView(fullStatus(base, shown({ phaseRank: 4, customersRead: 300, customersDone: 300 })));
    assert.equal(view.progress, 'Import complete: 300 customers read from Stripe.');
    assert.match(
      view.breakdown,
      /^300 customers: 280 on an Intercom user \(10 users created, 5 existing users matched/,
    );
    assert.match(view.breakdown, /2 without an email \(skipped\)/);
    assert.equal(view.percent, 100);
  });

  it('is never green while something fails', () => {
    const base = report({ status: 'completed', phase: 'done', state: 'live', failed: 3 });
    const view = statusView(fullStatus(base, shown({ phaseRank: 4 })));
    assert.deepEqual(view.health, { label: 'Live, with failures', tone: 'warn' });
    assert.match(view.notices[0]?.text ?? '', /^3 customers could not be written to Intercom/);
    assert.equal(view.notices[0]?.link?.href, '/app/installs/ins_1/failures');
  });

  it('Intercom answering 503: retrying, when, and that nothing is lost', () => {
    const base = report({
      waitingOn: [
        {
          kind: 'retrying',
          workflow: 'sync',
          activity: 'syncCustomers',
          dependency: 'intercom',
          attempt: 6,
          lastError: 'Status code: 503\nBody: {"type":"error.list"}',
          nextAttemptAt: new Date(startMs + 80_000).toISOString(),
        },
      ],
    });
    const view = statusView(fullStatus(base, shown()));
    assert.equal(view.health.label, 'Retrying');
    assert.equal(view.health.tone, 'warn');
    assert.equal(
      view.notices[0]?.text,
      'Intercom is not answering (503). Retrying, attempt 6; next try in 20 s. Nothing is lost: the sync goes on where it stopped once it answers.',
    );
  });

  it('a revoked Intercom token says so and offers Reconnect Intercom', () => {
    const base = report({ state: 'failed', lastError: 'Intercom rejected the access token (401)' });
    const view = statusView(fullStatus(base, shown()));
    assert.deepEqual(view.health, { label: 'Needs attention', tone: 'bad' });
    assert.match(view.notices[0]?.text ?? '', /^Intercom rejected the access token \(401\)/);
    assert.deepEqual(view.notices[0]?.link, { href: '#reconnect-intercom', label: 'Reconnect Intercom' });
    assert.equal(view.importRunning, false, 'a stopped run is not running');
  });

  it('shows email_taken warnings as a sentence', () => {
    const view = statusView(fullStatus(report({ state: 'live', warnings: 2 }), shown({ phaseRank: 4 })));
    assert.match(view.notices[0]?.text ?? '', /^2 customers' Stripe emails were changed to one another Intercom user/);
  });

  it('finds the HTTP status in vendor messages', () => {
    assert.equal(httpStatusIn('Status code: 503\nBody: …'), '503');
    assert.equal(httpStatusIn('Stripe rejected the API key (HTTP 401)'), '401');
    assert.equal(httpStatusIn('connect ECONNREFUSED 127.0.0.1:1'), null);
  });

  it('escapes whatever a page interpolates', () => {
    assert.equal(
      html`<p>${'<script>alert("x")</script>'}</p>`.value,
      '<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>',
    );
  });
});

describe('failures by reason', () => {
  const at = new Date(startMs);
  const failure = (customerId: string, reason: string, code: string | null) => ({
    customerId,
    reason,
    code,
    attempts: 1,
    firstFailedAt: at,
    lastFailedAt: at,
  });

  it('groups by reason with counts, biggest first, each with its fix; the CSV defuses formulas', () => {
    const groups = groupFailures([
      failure('cus_1', "'a@localhost' is not a valid email address", 'parameter_invalid'),
      failure('cus_2', '=HYPERLINK("x") is not a valid email address', 'parameter_invalid'),
      failure('cus_3', 'mapping threw', 'unexpected_error'),
    ]);
    assert.deepEqual(
      groups.map((group) => [group.reason, group.count]),
      [
        ['invalid_email', 2],
        ['unexpected_error', 1],
      ],
    );
    assert.match(groups[0]?.fix ?? '', /Correct the customer's email in Stripe/);
    const csv = failuresCsv(groups).split('\r\n');
    assert.equal(csv.length, 5, 'header, three rows, final newline');
    assert.match(
      csv[2] ?? '',
      /^"cus_2","Intercom refuses the email address","'=HYPERLINK\(""x""\) is not a valid email address"/,
    );
  });
});

describe('alerts', () => {
  it('accepts public https webhooks only, unless private ones are allowed', () => {
    const strict = { ALERT_WEBHOOK_ALLOW_PRIVATE: false };
    assert.equal(
      checkAlertUrl(' https://hooks.slack.com/services/T/B/x ', strict),
      'https://hooks.slack.com/services/T/B/x',
    );
    assert.throws(() => checkAlertUrl('http://hooks.example.com/x', strict), /https/);
    assert.throws(() => checkAlertUrl('https://127.0.0.1:9/x', strict), /not on the internet/);
    assert.throws(() => checkAlertUrl('https://10.1.2.3/x', strict), /not on the internet/);
    assert.throws(() => checkAlertUrl('not a url', strict), /not a web address/);
    assert.equal(checkAlertUrl('http://127.0.0.1:9/x', { ALERT_WEBHOOK_ALLOW_PRIVATE: true }), 'http://127.0.0.1:9/x');
  });

  it('needs attention when stopped, waiting, or over the failure threshold; not when healthy', () => {
    const config = { ALERT_FAILURES_THRESHOLD: 3 };
    const done = shown({ phaseRank: 4 });
    const live = (extra: Parameters<typeof report>[0]) =>
      fullStatus(report({ status: 'completed', phase: 'done', state: 'live', ...extra }), done);
    assert.equal(attentionOf(live({}), config), null);
    assert.equal(attentionOf(live({ failed: 2 }), config), null);
    assert.equal(attentionOf(live({ failed: 3 }), config)?.key, 'failures');
    assert.equal(
      attentionOf(live({ state: 'failed', lastError: 'Intercom rejected the access token (401)' }), config)?.key,
      'failed:intercom_rejected',
    );
  });
});
