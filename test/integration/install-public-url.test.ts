import assert from 'node:assert/strict';
import { startTestStack, type TestStack } from '../support/stack';

describe('install API: a PUBLIC_URL Stripe cannot deliver to', function () {
  this.timeout(120_000);
  let stack: TestStack;

  before(async () => {
    // Stripe's own rule: the service's 127.0.0.1 webhook URL is refused. No worker: nothing may start.
    stack = await startTestStack({ worker: false, stripe: { allowLocalWebhookUrls: false } });
  });
  after(() => stack?.close());

  it('answers 422 naming PUBLIC_URL and what to do, and keeps nothing of the install', async () => {
    const { token } = stack.intercom.createWorkspace();
    const response = await stack.api('/installs', {
      body: { stripe: { apiKey: stack.stripe.keys.live }, intercom: { accessToken: token, region: 'us' } },
    });
    const body = (await response.json()) as { error: { code: string; message: string; field: string } };
    assert.equal(response.status, 422, JSON.stringify(body));
    assert.equal(body.error.code, 'public_url_rejected');
    assert.equal(body.error.field, 'PUBLIC_URL');
    assert.match(body.error.message, /publicly accessible/);
    assert.match(body.error.message, /Set PUBLIC_URL to the public HTTPS address/);
    assert.doesNotMatch(body.error.message, /write access/);
    const installs = await stack.db.pool.query(`SELECT id FROM installs`);
    assert.equal(installs.rowCount, 0);
    assert.equal(stack.stripe.admin.state().webhookEndpoints.length, 0);
  });
});
