import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { IntercomError, IntercomTimeoutError } from 'intercom-client';
import { DatabaseError } from 'pg';
import Stripe from 'stripe';
import { dependencyOf, toActivityFailure } from '../../src/activities/failures';
import { IntercomRateLimited } from '../../src/activities/intercom-gateway';

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
