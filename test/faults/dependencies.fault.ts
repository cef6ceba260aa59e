import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultChanges } from '../../emulators/intercom';
import { startTestStack, eventually, type TestStack } from '../support/stack';
import {
  assertContactsMatch,
  expectationsFromStripe,
  installThroughApi,
  seedImportScenario,
  waitForImport,
  type ImportScenario,
} from '../support/import-scenario';
import { waitForQuiet } from '../support/live-sync';
import { assertLossless, intercomWrites, recordFigures } from '../support/faults';

interface Run {
  stack: TestStack;
  scenario: ImportScenario;
  installId: string;
}

interface DependencyCase {
  name: string;
  customers: number;
  /** Faults switched on once the install is accepted (its credential checks run clean) and off before checking. */
  stripe?: Parameters<TestStack['stripe']['setFaults']>[0];
  intercom?: FaultChanges;
  /** Before the install (e.g. Intercom users a lagging search cannot see yet). */
  prepare?(run: Omit<Run, 'installId'>): Promise<void>;
  /** While the import runs: turns faults on and off; returns figures. */
  during?(run: Run): Promise<Record<string, number>>;
  /** Stripe changes after the import, each delivered as webhooks while the faults are on (for `stormMs`, or all along). */
  changesAfterImport?: {
    count: number;
    stripe?: Parameters<TestStack['stripe']['setFaults']>[0];
    intercom?: FaultChanges;
    stormMs?: number;
  };
}

/** Seeds, installs, applies the case's faults, then checks contacts, counters and reconcile against Stripe. */
async function runCase(seed: number, spec: DependencyCase): Promise<void> {
  const stack = await startTestStack({ stripe: { seed }, intercom: { searchLagMs: 120_000 } });
  try {
    const scenario = seedImportScenario(stack, {
      customers: spec.customers,
      seed,
      withoutEmail: 3,
      sharedEmailPairs: 3,
      differentlyCasedPairs: 3,
      deleted: 3,
      preexistingUsers: Math.floor(spec.customers / 8),
    });
    await spec.prepare?.({ stack, scenario });
    const started = Date.now();
    const installId = await installThroughApi(stack, scenario.token);
    if (spec.stripe) stack.stripe.setFaults(spec.stripe);
    if (spec.intercom) stack.intercom.setFaults(spec.intercom);
    const run = { stack, scenario, installId };
    const figures = (await spec.during?.(run)) ?? {};
    const status = await waitForImport(stack, installId, { timeoutMs: 600_000 });
    figures.importMs = Date.now() - started;
    stack.stripe.setFaults({ failureRate: 0, rateLimitPerSecond: 0 });
    stack.intercom.setFaults({ failureRate: 0, latencyMs: 0 });
    const check = assertContactsMatch(stack.intercom, scenario, expectationsFromStripe(stack.stripe));
    assert.equal(status.sync.created, check.created, 'created counted exactly');
    assert.equal(status.sync.matched, check.matched, 'matched counted exactly');

    if (spec.changesAfterImport) {
      const { count, stripe, intercom, stormMs } = spec.changesAfterImport;
      if (stripe) stack.stripe.setFaults(stripe);
      if (intercom) stack.intercom.setFaults(intercom);
      const changedFrom = Date.now();
      const customers = stack.stripe.admin.state('live').customers.slice(0, count);
      customers.forEach((customer, index) => stack.stripe.admin.updateCustomer(customer.id, { balance: 1000 + index }));
      if (stormMs) {
        await sleep(stormMs);
        stack.stripe.setFaults({ failureRate: 0, rateLimitPerSecond: 0 });
        stack.intercom.setFaults({ failureRate: 0, latencyMs: 0 });
      }
      await waitForQuiet(stack, installId, { timeoutMs: 600_000 });
      figures.changesDrainedMs = Date.now() - changedFrom;
      stack.stripe.setFaults({ failureRate: 0, rateLimitPerSecond: 0 });
      stack.intercom.setFaults({ failureRate: 0, latencyMs: 0 });
      assertContactsMatch(stack.intercom, scenario, expectationsFromStripe(stack.stripe));
    }
    const lossless = await assertLossless(stack, installId, scenario.workspaceId);
    recordFigures(spec.name, { ...lossless, ...figures, created: check.created, matched: check.matched });
  } finally {
    await stack.close();
  }
}

/** Waits until Intercom has taken `writes` writes in this workspace (the import is writing). */
async function writesUnderWay(run: Run, writes: number): Promise<void> {
  await eventually(
    async () => (intercomWrites(run.stack, run.scenario.workspaceId) >= writes ? true : undefined),
    240_000,
    `${writes} Intercom writes`,
  );
}

describe('faults: Intercom failing', function () {
  this.timeout(900_000);

  it('a 429 storm (limit cut to 300/min mid-import)', () =>
    runCase(201, {
      name: 'intercom 429 storm',
      customers: 200,
      async during(run) {
        await writesUnderWay(run, 20);
        run.stack.intercom.setFaults({ rateLimitPerMinute: 300 });
        await sleep(20_000);
        run.stack.intercom.setFaults({ rateLimitPerMinute: 10_000 });
        return {};
      },
    }));

  it('10 % of requests answered 5xx, during the import and the webhooks after it', () =>
    runCase(202, {
      name: 'intercom 10% 5xx',
      customers: 300,
      intercom: { failureRate: 0.1 },
      changesAfterImport: { count: 60, intercom: { failureRate: 0.1 } },
    }));

  it('calls that hang past the client timeout (and take effect after it)', () =>
    runCase(203, {
      name: 'intercom calls hang 35 s',
      customers: 200,
      async during(run) {
        await writesUnderWay(run, 20);
        run.stack.intercom.setFaults({ latencyMs: 35_000 });
        await sleep(40_000);
        run.stack.intercom.setFaults({ latencyMs: 0 });
        return {};
      },
    }));

  it('409 for users a lagging search cannot see yet: matched, never duplicated nor taken for ours', () => {
    let lagged = 0;
    return runCase(204, {
      name: 'intercom 409 from search lag',
      customers: 200,
      async prepare({ stack, scenario }) {
        // Users created through the API just before the install: Intercom's search misses them for minutes.
        const taken = new Set([...scenario.preexisting.values()].map((contact) => contact.email?.toLowerCase()));
        const candidates = scenario.seeded.filter(
          (customer) => customer.email && !customer.deleted && !taken.has(customer.email.toLowerCase()),
        );
        for (const customer of candidates.slice(0, 20)) {
          const response = await fetch(`${stack.intercom.url}/contacts`, {
            method: 'POST',
            headers: { authorization: `Bearer ${scenario.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ role: 'user', email: customer.email, name: `Lagging ${customer.id}` }),
          });
          assert.equal(response.status, 200);
          const contact = (await response.json()) as { id: string };
          const json = stack.intercom.workspace(scenario.workspaceId).contacts.find((c) => c.id === contact.id);
          if (json) scenario.preexisting.set(contact.id, json);
          lagged += 1;
        }
      },
      async during() {
        return { laggedUsers: lagged };
      },
    });
  });
});

describe('faults: Stripe failing', function () {
  this.timeout(900_000);

  // Without per-account pacing (issue row 2b, another branch) a storm that never ends can livelock the webhook
  // batches, so each storm here lasts 20 s, as Stripe's do.
  it('429 storms (5 requests/s for 20 s) during the import and during a webhook burst', () =>
    runCase(301, {
      name: 'stripe 429 storm',
      customers: 200,
      async during(run) {
        run.stack.stripe.setFaults({ rateLimitPerSecond: 5 });
        await sleep(20_000);
        run.stack.stripe.setFaults({ rateLimitPerSecond: 0 });
        return {};
      },
      changesAfterImport: { count: 50, stripe: { rateLimitPerSecond: 5 }, stormMs: 20_000 },
    }));

  // A batch re-reads all its customers on every attempt (until row 2's fix keeps them across attempts), so 10 % of
  // 500s during webhooks is a 20 s spell here; during the import (one call per page) it lasts throughout.
  it('10 % of requests answered 500, during the import and a webhook burst', () =>
    runCase(302, {
      name: 'stripe 10% 5xx',
      customers: 300,
      stripe: { failureRate: 0.1 },
      changesAfterImport: { count: 50, stripe: { failureRate: 0.1 }, stormMs: 20_000 },
    }));

  it('a customer page failing repeatedly, then recovering', () =>
    runCase(303, {
      name: 'stripe page failing then recovering',
      customers: 300,
      async during(run) {
        const pages = () => run.stack.stripe.requestCounts()['GET /v1/customers'] ?? 0;
        await eventually(async () => (pages() >= 1 ? true : undefined), 120_000, 'the first customer page');
        run.stack.stripe.setFaults({ failureRate: 1 });
        const failingFrom = pages();
        await sleep(10_000);
        run.stack.stripe.setFaults({ failureRate: 0 });
        return { failedPageAttempts: pages() - failingFrom };
      },
    }));
});
