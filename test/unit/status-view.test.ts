import assert from 'node:assert/strict';
import { statusView, type InstallStatusReport } from '../../src/api/pages/status-view';
import { html } from '../../src/api/pages/html';

const startedAt = '2026-11-30T12:00:00.000Z';

function report(overrides: {
  state?: string;
  lastError?: string | null;
  phase?: string;
  status?: string;
  seen?: number;
  total?: number;
  queueDepth?: number;
  failed?: number;
}): InstallStatusReport {
  return {
    state: overrides.state ?? 'importing',
    lastError: overrides.lastError ?? null,
    import: {
      id: 'imp_1',
      status: overrides.status ?? 'running',
      phase: overrides.phase ?? 'customers',
      pages: 3,
      customersSeen: overrides.seen ?? 300,
      estimatedTotal: overrides.total ?? 1000,
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
      maxQueueDepth: null,
      queueBound: null,
      running: true,
    },
    webhooks: {
      received: 0,
      processed: 0,
      failed: 0,
      pending: 0,
      lastEventAt: null,
      recentLagSeconds: null,
      ignored: {},
    },
  } as unknown as InstallStatusReport;
}

describe('status page view', () => {
  const oneMinuteIn = Date.parse(startedAt) + 60_000;

  it('counts customers written to Intercom, not those still queued, with rate and time left', () => {
    const view = statusView(report({ seen: 300, total: 1000, queueDepth: 100 }), oneMinuteIn);
    assert.equal(view.percent, 20);
    assert.equal(view.progress, '200 of about 1,000 customers in Intercom');
    assert.equal(view.rate, '200 customers/min');
    assert.equal(view.timeLeft, '4 min');
    assert.equal(view.health.label, 'Importing');
  });

  it('is 100 % only once the import has completed', () => {
    assert.equal(
      statusView(report({ seen: 1000, total: 1000, queueDepth: 0, phase: 'draining' }), oneMinuteIn).percent,
      99,
    );
    const done = statusView(report({ seen: 1000, status: 'completed', phase: 'done', state: 'live', failed: 1 }));
    assert.equal(done.percent, 100);
    assert.equal(done.timeLeft, 'done');
    assert.equal(done.health.label, 'Healthy, with failures');
    assert.equal(done.health.detail, '1 customer could not be written; see the list.');
  });

  it('a failed install shows its reason', () => {
    const view = statusView(report({ state: 'failed', lastError: 'stripe refused to renew access' }));
    assert.deepEqual(view.health, { label: 'Needs attention', tone: 'bad', detail: 'Stripe refused to renew access' });
  });

  it('escapes whatever a page interpolates', () => {
    assert.equal(
      html`<p>${'<script>alert("x")</script>'}</p>`.value,
      '<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>',
    );
  });
});
