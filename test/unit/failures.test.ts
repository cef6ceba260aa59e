import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { IntercomError, IntercomTimeoutError } from 'intercom-client';
import { DatabaseError } from 'pg';
import Stripe from 'stripe';
import { dependencyOf, toActivityFailure, withFailureMapping } from '../../src/activities/failures';
import { throwIfActivityCancelled } from '../../src/vendors/activity-cancellation';
import { IntercomGateway, IntercomRateLimited } from '../../src/activities/intercom-gateway';
import { RateWindow } from '../../src/activities/rate-window';
import { createIntercomClient } from '../../src/vendors/intercom';

function databaseError(code: string): DatabaseError {
  const error = new DatabaseError('database said no', 0, 'error');
  error.code = code;
  return error;
}

describe('activity failures: which dependency a retry waits on', () => {
  it('names the dependency of errors a retry can outlast', () => {
    assert.equal(dependencyOf(new IntercomRateLimited(1_000)), 'intercom');
    assert.equal(dependencyOf(new IntercomTimeoutError('timed out')), 'intercom');
    assert.equal(dependencyOf(new IntercomError({ statusCode: 503, body: {} })), 'intercom');
    assert.equal(dependencyOf(new Stripe.errors.StripeAPIError({ message: 'boom', statusCode: 500 })), 'stripe');
    assert.equal(dependencyOf(new Stripe.errors.StripeConnectionError({ message: 'refused' })), 'stripe');
    assert.equal(dependencyOf(databaseError('57P01')), 'postgres');
    assert.equal(dependencyOf(new Error('Connection terminated unexpectedly')), 'postgres');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(dependencyOf(new TypeError('fetch failed', { cause: refused })), 'network');
  });

  it('blames the data, not a dependency, for what a retry would repeat', () => {
    assert.equal(dependencyOf(new TypeError("Cannot read properties of undefined (reading 'toLowerCase')")), null);
    assert.equal(dependencyOf(new IntercomError({ statusCode: 400, body: {} })), null);
    assert.equal(dependencyOf(databaseError('22P05')), null);
    assert.equal(dependencyOf(new Stripe.errors.StripeInvalidRequestError({ message: 'bad', statusCode: 400 })), null);
    assert.equal(dependencyOf(databaseError('23505')), null);
  });

  it('retries dependency failures under a type naming the dependency, and rate limits at the given time', () => {
    const unavailable = toActivityFailure(new IntercomError({ statusCode: 500, body: {} }));
    assert.ok(unavailable instanceof ApplicationFailure);
    assert.equal(unavailable.type, 'IntercomUnavailable');
    assert.equal(unavailable.nonRetryable, false);
    const limited = toActivityFailure(new IntercomRateLimited(2_500));
    assert.ok(limited instanceof ApplicationFailure);
    assert.equal(limited.type, 'IntercomRateLimited');
    assert.equal(limited.nextRetryDelay, 2_500);
    const bug = new TypeError('a bug');
    assert.equal(toActivityFailure(bug), bug);
  });
});

describe('activity cancellation', () => {
  it('gives the slot back at once when cancelled, and a paced client sends nothing more for it', async () => {
    const environment = new MockActivityEnvironment();
    let sentAfterCancel = false;
    const running = environment.run(() =>
      withFailureMapping(async () => {
        // Work that would outlive the cancellation: waits, then tries to send one more request.
        await new Promise((resolve) => setTimeout(resolve, 200));
        throwIfActivityCancelled();
        sentAfterCancel = true;
      }),
    );
    setTimeout(() => environment.cancel('CANCELLED'), 20);
    await assert.rejects(running, CancelledFailure);
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(sentAfterCancel, false);
  });

  it('aborts an Intercom request in flight instead of holding the slot until the client times out', async () => {
    // An Intercom that takes the request and never answers.
    const received: IncomingMessage[] = [];
    const server = createServer((request) => received.push(request));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = createIntercomClient('tok', 'us', { INTERCOM_API_BASE: `http://127.0.0.1:${port}` });
      const gateway = new IntercomGateway(client, new RateWindow());
      const environment = new MockActivityEnvironment();
      const running = environment.run(() => withFailureMapping(() => gateway.contactCreatedAt('contact_1')));
      while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const connectionClosed = once(received[0]?.socket as Socket, 'close').then(() => 'closed');
      environment.cancel('CANCELLED');
      await assert.rejects(running, CancelledFailure);
      // Without the abort the connection stays open until the client's own 30 s timeout.
      const outcome = await Promise.race([connectionClosed, sleep(10_000).then(() => 'still open after 10 s')]);
      assert.equal(outcome, 'closed');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('runs as before outside an activity (scripts, direct calls)', async () => {
    assert.equal(await withFailureMapping(async () => 7), 7);
    assert.doesNotThrow(() => throwIfActivityCancelled());
  });
});
