import assert from 'node:assert/strict';
import { eventually, startTestStack, type TestStack } from '../support/stack';

interface Attempt {
  name: string;
  method?: string;
  path?: string;
  /** A JSON body; `raw` sends text as it is. */
  body?: unknown;
  raw?: { text: string; contentType: string };
  /** The Authorization header: undefined sends the admin token, null none. */
  authorization?: string | null;
  status: number;
  field: string;
}

interface Stored {
  installs: number;
  imports: number;
  webhookEndpoints: number;
  workflows: string[];
}

describe('install API: bad input', function () {
  this.timeout(180_000);
  let stack: TestStack;
  let token: string;
  let revokedStripeKey: string;
  let revokedIntercomToken: string;
  const startedWorkflows: string[] = [];

  before(async () => {
    // No worker: nothing here should run. Test mode off, as in production.
    stack = await startTestStack({ worker: false, config: { ALLOW_TEST_MODE: false } });
    token = stack.intercom.createWorkspace().token;
    revokedStripeKey = stack.stripe.admin.createApiKey('live');
    stack.stripe.admin.revokeKey(revokedStripeKey);
    revokedIntercomToken = stack.intercom.createWorkspace().token;
    stack.intercom.revokeToken(revokedIntercomToken);
  });
  after(async () => {
    // The control install's workflows have no worker: stop them rather than leave them on a shared server.
    for (const id of startedWorkflows) {
      await stack.service.temporal.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    }
    await stack?.close();
  });

  const valid = () => ({
    stripe: { apiKey: stack.stripe.keys.live },
    intercom: { accessToken: token, region: 'us' },
  });

  async function stored(): Promise<Stored> {
    const count = async (table: string) =>
      Number((await stack.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
    const workflows: string[] = [];
    for await (const execution of stack.service.temporal.workflow.list({
      query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'`,
    })) {
      workflows.push(execution.workflowId);
    }
    return {
      installs: await count('installs'),
      imports: await count('imports'),
      webhookEndpoints:
        stack.stripe.admin.state('live').webhookEndpoints.length +
        stack.stripe.admin.state('test').webhookEndpoints.length,
      workflows: workflows.sort(),
    };
  }

  async function send(attempt: Attempt): Promise<{ status: number; body: { error?: { field?: string } } }> {
    const headers: Record<string, string> = {};
    const authorization =
      attempt.authorization === undefined ? `Bearer ${stack.config.ADMIN_TOKEN}` : attempt.authorization;
    if (authorization !== null) headers.authorization = authorization;
    let body: string | undefined;
    if (attempt.raw) {
      headers['content-type'] = attempt.raw.contentType;
      body = attempt.raw.text;
    } else if (attempt.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(attempt.body);
    }
    const response = await fetch(`${stack.service.apiUrl}${attempt.path ?? '/installs'}`, {
      method: attempt.method ?? 'POST',
      headers,
      body,
    });
    return { status: response.status, body: (await response.json()) as { error?: { field?: string } } };
  }

  function attempts(): Attempt[] {
    const ok = valid();
    return [
      { name: 'empty body', body: {}, status: 400, field: 'stripe' },
      { name: 'no Intercom section', body: { stripe: ok.stripe }, status: 400, field: 'intercom' },
      { name: 'no Stripe key', body: { ...ok, stripe: {} }, status: 400, field: 'stripe.apiKey' },
      {
        name: 'no Intercom token',
        body: { ...ok, intercom: { region: 'us' } },
        status: 400,
        field: 'intercom.accessToken',
      },
      { name: 'extra top-level field', body: { ...ok, plan: 'pro' }, status: 400, field: 'plan' },
      {
        name: 'extra nested field',
        body: { ...ok, stripe: { ...ok.stripe, webhookSecret: 'whsec_x' } },
        status: 400,
        field: 'stripe.webhookSecret',
      },
      {
        name: 'publishable key',
        body: { ...ok, stripe: { apiKey: 'pk_live_51abcDEF' } },
        status: 400,
        field: 'stripe.apiKey',
      },
      {
        name: 'key with a space',
        body: { ...ok, stripe: { apiKey: 'sk_live_abc def' } },
        status: 400,
        field: 'stripe.apiKey',
      },
      { name: 'key not a string', body: { ...ok, stripe: { apiKey: 42 } }, status: 400, field: 'stripe.apiKey' },
      {
        name: 'unknown region',
        body: { ...ok, intercom: { ...ok.intercom, region: 'mars' } },
        status: 400,
        field: 'intercom.region',
      },
      {
        name: 'attribute prefix Intercom rejects',
        body: { ...ok, attributePrefix: 'STRIPE data' },
        status: 400,
        field: 'attributePrefix',
      },
      { name: 'unknown matchBy', body: { ...ok, matchBy: 'phone' }, status: 400, field: 'matchBy' },
      {
        name: 'bad metadata key',
        body: { ...ok, metadataAttributes: ['plan', 'no spaces'] },
        status: 400,
        field: 'metadataAttributes.1',
      },
      {
        name: 'not JSON',
        raw: { text: '{"stripe":', contentType: 'application/json' },
        status: 400,
        field: 'body',
      },
      {
        name: 'form encoded',
        raw: { text: 'stripe[apiKey]=sk_live_x', contentType: 'application/x-www-form-urlencoded' },
        status: 415,
        field: 'content-type',
      },
      {
        name: 'test key while test mode is off',
        body: { ...ok, stripe: { apiKey: stack.stripe.keys.test } },
        status: 422,
        field: 'stripe.apiKey',
      },
      {
        name: 'revoked Stripe key',
        body: { ...ok, stripe: { apiKey: revokedStripeKey } },
        status: 422,
        field: 'stripe.apiKey',
      },
      {
        name: 'unknown Stripe key',
        body: { ...ok, stripe: { apiKey: 'rk_live_0000000000000000unknown' } },
        status: 422,
        field: 'stripe.apiKey',
      },
      {
        name: 'unknown Intercom token',
        body: { ...ok, intercom: { accessToken: 'dG9rOm5vdC1hLXJlYWwtdG9rZW4=', region: 'us' } },
        status: 422,
        field: 'intercom.accessToken',
      },
      {
        name: 'revoked Intercom token',
        body: { ...ok, intercom: { accessToken: revokedIntercomToken, region: 'us' } },
        status: 422,
        field: 'intercom.accessToken',
      },
      { name: 'no admin token', body: ok, authorization: null, status: 401, field: 'authorization' },
      {
        name: 'wrong admin token',
        body: ok,
        authorization: 'Bearer not-the-admin-token-0000',
        status: 401,
        field: 'authorization',
      },
      {
        name: 'admin token in the wrong scheme',
        body: ok,
        authorization: `Basic ${stack.config.ADMIN_TOKEN}`,
        status: 401,
        field: 'authorization',
      },
      {
        name: 'status without admin token',
        method: 'GET',
        path: '/installs/ins_x',
        authorization: null,
        status: 401,
        field: 'authorization',
      },
      {
        name: 'status of unknown install',
        method: 'GET',
        path: '/installs/ins_doesnotexist',
        status: 404,
        field: 'id',
      },
      { name: 'status of a malformed id', method: 'GET', path: '/installs/..%2Fetc', status: 404, field: 'id' },
      {
        name: 'failures of unknown install',
        method: 'GET',
        path: '/installs/ins_nope/failures',
        status: 404,
        field: 'id',
      },
      {
        name: 'resync of unknown install',
        method: 'POST',
        path: '/installs/ins_nope/resync',
        status: 404,
        field: 'id',
      },
      { name: 'disable of unknown install', method: 'DELETE', path: '/installs/ins_nope', status: 404, field: 'id' },
    ];
  }

  it('answers each bad request with its status and the field to blame, storing nothing', async () => {
    const before = await stored();
    assert.deepEqual(before, { installs: 0, imports: 0, webhookEndpoints: 0, workflows: [] });
    const wrong: string[] = [];
    for (const attempt of attempts()) {
      const { status, body } = await send(attempt);
      if (status !== attempt.status || body.error?.field !== attempt.field) {
        wrong.push(`${attempt.name}: ${status} ${JSON.stringify(body)} (expected ${attempt.status} ${attempt.field})`);
      }
      const after = await stored();
      assert.deepEqual(after, before, `${attempt.name} stored something`);
    }
    assert.deepEqual(wrong, []);
  });

  it('accepts the same request once it is valid, and installing it again changes nothing', async () => {
    const response = await send({ name: 'valid', body: valid(), status: 202, field: '' });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const { id } = response.body as { id: string };
    const workflows = [`import:${id}`, `sync:${id}`];
    startedWorkflows.push(...workflows);
    // Visibility lags a little behind the start: wait for both, then insist on nothing else.
    const now = await eventually(
      async () => {
        const current = await stored();
        return current.workflows.length >= 2 ? current : undefined;
      },
      30_000,
      'the install workflows to be visible',
    );
    assert.deepEqual(now, { installs: 1, imports: 1, webhookEndpoints: 1, workflows });

    const again = await send({ name: 'again', body: valid(), status: 200, field: '' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal((again.body as { id: string; created: boolean }).id, id);
    assert.equal((again.body as { created: boolean }).created, false);
    assert.deepEqual(await stored(), now);
  });
});
