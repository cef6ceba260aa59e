import assert from 'node:assert/strict';
import { seedCustomers } from '../../emulators/stripe';
import { countResponses } from '../../scripts/lib/emulators';
import { startTestStack, type TestStack } from '../support/stack';
import { install, waitForQuiet } from '../support/live-sync';
import { driftThroughApi, reconcile, recordFigures } from '../support/faults';

const CUSTOMERS = 10_000;

/**
 * Issue 17: drift and reconcile on a real-sized account, with Stripe's limits enforced by the emulator (100 requests/s
 * in live mode, 25 per endpoint: https://docs.stripe.com/rate-limits). Both must answer, through the account's pacer,
 * without one 429 reaching the service's reads, and find no drift after a clean import.
 */
describe('faults: drift and reconcile at 10,000 customers', function () {
  this.timeout(1_800_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack({
      stripe: { seed: 1717, rateLimitPerSecond: { live: 100, test: 25 }, endpointRateLimitPerSecond: 25 },
    });
  });
  after(() => stack?.close());

  it('answers a drift job and a reconcile run, clean, within Stripe limits', async () => {
    // 2 % with card holds, captured or not, some in part: the import and reconcile must agree on what they took.
    seedCustomers(stack.stripe, { customers: CUSTOMERS, seed: 1717, holds: CUSTOMERS / 50 });
    const importStarted = Date.now();
    const target = await install(stack, { waitLive: true });
    await waitForQuiet(stack, target.installId, { timeoutMs: 900_000 });
    const importMs = Date.now() - importStarted;

    const responses = countResponses([stack.stripe.port]);
    try {
      stack.stripe.resetCounts();
      const driftStarted = Date.now();
      const job = await driftThroughApi(stack, target.installId, { limit: 10, timeoutMs: 900_000 });
      const driftMs = Date.now() - driftStarted;
      const driftCalls = stack.stripe.requestCounts();
      const report = job.report;
      assert.ok(report, 'a finished job has its report');
      assert.ok(report.customersChecked >= CUSTOMERS * 0.95, `checked ${report.customersChecked}`);
      assert.equal(report.driftedTotal, 0, JSON.stringify(report.drifted.slice(0, 3)));
      assert.equal(job.progress.customersListed >= CUSTOMERS * 0.98, true, JSON.stringify(job.progress));

      const reconcileStarted = Date.now();
      const reconciled = await reconcile(stack, target.installId);
      const reconcileMs = Date.now() - reconcileStarted;
      assert.equal(reconciled.drifted.length, 0, JSON.stringify(reconciled.totals));
      assert.equal(reconciled.customersChecked, report.customersChecked);

      const statuses = responses.statuses(stack.stripe.port);
      const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, count) => total + count, 0);
      recordFigures('drift + reconcile at 10,000 customers', {
        importMs,
        driftMs,
        reconcileMs,
        driftStripeCalls: sum(driftCalls),
        stripe429: statuses[429] ?? 0,
        customersChecked: report.customersChecked,
      });
      assert.equal(statuses[429] ?? 0, 0, `Stripe answered 429: ${JSON.stringify(statuses)}`);
    } finally {
      responses.stop();
    }
  });
});
