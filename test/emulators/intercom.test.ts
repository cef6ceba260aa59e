import assert from 'node:assert/strict';
import { type Intercom, IntercomClient, IntercomError } from 'intercom-client';
import { type IntercomEmulator, type IntercomEmulatorOptions, startIntercomEmulator } from '../../emulators/intercom';
import { withinOneRateWindow } from '../support/intercom-window';

interface Session {
  client: IntercomClient;
  workspaceId: string;
  token: string;
}

function connect(emulator: IntercomEmulator, token: string): IntercomClient {
  return new IntercomClient({ token, baseUrl: emulator.url, maxRetries: 0 });
}

function newSession(emulator: IntercomEmulator): Session {
  const { workspaceId, token } = emulator.createWorkspace();
  return { client: connect(emulator, token), workspaceId, token };
}

async function withEmulator(options: IntercomEmulatorOptions, run: (emulator: IntercomEmulator) => Promise<void>) {
  const emulator = await startIntercomEmulator({ port: 0, ...options });
  try {
    await run(emulator);
  } finally {
    await emulator.close();
  }
}

/** The SDK's error for a call that must fail, with Intercom's first error entry pulled out of the body. */
async function failure(call: Promise<unknown>, status: number) {
  const error = await call.then(
    () => assert.fail(`expected HTTP ${status}, but the call succeeded`),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof IntercomError, `expected an IntercomError, got ${String(error)}`);
  assert.equal(error.statusCode, status, error.message);
  const body = error.body as Intercom.Error_;
  assert.equal(body.type, 'error.list');
  assert.match(body.request_id ?? '', /^[0-9a-f-]{36}$/);
  const [first] = body.errors;
  assert.ok(first);
  return { error, code: first.code, message: first.message ?? '' };
}

const createUser = (client: IntercomClient, fields: Record<string, unknown>) =>
  client.contacts.create({ role: 'user', ...fields } as Intercom.CreateContactRequest);

const defineAttribute = (client: IntercomClient, name: string, dataType: string) =>
  client.dataAttributes.create({ name, model: 'contact', data_type: dataType } as Intercom.CreateDataAttributeRequest);

const emailFilter = (email: string) => ({ field: 'email', operator: '=' as const, value: email });

describe('Intercom emulator (through intercom-client)', function () {
  this.timeout(20_000);
  let emulator: IntercomEmulator;

  before(async () => {
    emulator = await startIntercomEmulator({ port: 0 });
  });
  after(() => emulator.close());

  it('identifies the token’s admin and workspace on GET /me', async () => {
    const { workspaceId, token } = emulator.createWorkspace({ name: 'Acme EU', region: 'EU' });
    const admin = await connect(emulator, token).admins.identify();
    assert.equal(admin?.type, 'admin');
    assert.deepEqual(
      { id_code: admin?.app?.id_code, name: admin?.app?.name, region: admin?.app?.region },
      { id_code: workspaceId, name: 'Acme EU', region: 'EU' },
    );
  });

  describe('contacts', () => {
    it('creates a user and answers a duplicate with 409 naming the existing id', async () => {
      const { client, workspaceId } = newSession(emulator);
      const created = await createUser(client, { email: 'Ada@Example.com', name: 'Ada', external_id: 'cus_1' });
      assert.equal(created.type, 'contact');
      assert.equal(created.role, 'user');
      assert.equal(created.workspace_id, workspaceId);
      assert.equal(created.email, 'Ada@Example.com');
      assert.match(created.id, /^[0-9a-f]{24}$/);
      assert.ok(created.created_at > 0);

      for (const duplicate of [{ email: 'ada@example.COM' }, { email: 'other@example.com', external_id: 'cus_1' }]) {
        const { code, message } = await failure(createUser(client, duplicate), 409);
        assert.equal(code, 'conflict');
        assert.equal(/already exists with id=([\w-]+)/.exec(message)?.[1], created.id);
      }
      assert.equal(emulator.workspace(workspaceId).contacts.length, 1);
    });

    it('lets leads share an email with a user', async () => {
      const { client } = newSession(emulator);
      await createUser(client, { email: 'lead@example.com' });
      const lead = await client.contacts.create({
        role: 'lead',
        email: 'lead@example.com',
      } as Intercom.CreateContactRequest);
      assert.equal(lead.role, 'lead');
    });

    it('finds a contact by id and answers 404 for an unknown one', async () => {
      const { client } = newSession(emulator);
      const created = await createUser(client, { email: 'find@example.com' });
      assert.equal((await client.contacts.find({ contact_id: created.id })).email, 'find@example.com');
      const { code } = await failure(client.contacts.find({ contact_id: '0123456789abcdef01234567' }), 404);
      assert.equal(code, 'not_found');
    });

    it('updates fields and merges custom attributes', async () => {
      const { client } = newSession(emulator);
      await defineAttribute(client, 'STRIPE_id', 'string');
      await defineAttribute(client, 'STRIPE_mrr', 'float');
      const created = await createUser(client, {
        email: 'merge@example.com',
        custom_attributes: { STRIPE_id: 'cus_9' },
      });
      const updated = await client.contacts.update({
        contact_id: created.id,
        name: 'Merged',
        custom_attributes: { STRIPE_mrr: 12.5 },
      });
      assert.equal(updated.name, 'Merged');
      assert.deepEqual(updated.custom_attributes, { STRIPE_id: 'cus_9', STRIPE_mrr: 12.5 });
      assert.ok(updated.updated_at >= created.updated_at);
    });

    it('rejects unknown or ill-typed custom attributes, long strings and bad emails without changing the contact', async () => {
      const { client, workspaceId } = newSession(emulator);
      await defineAttribute(client, 'STRIPE_subscription_count', 'integer');
      await defineAttribute(client, 'STRIPE_plan_name', 'string');
      const created = await createUser(client, { email: 'strict@example.com' });
      const update = (fields: Omit<Intercom.UpdateContactRequest, 'contact_id'>) =>
        client.contacts.update({ contact_id: created.id, ...fields });

      const unknown = await failure(update({ custom_attributes: { STRIPE_nope: 'x' } }), 400);
      assert.equal(unknown.code, 'parameter_not_found');
      assert.match(unknown.message, /STRIPE_nope/);
      const wrongType = await failure(update({ custom_attributes: { STRIPE_subscription_count: '3' } }), 400);
      assert.equal(wrongType.code, 'parameter_invalid');
      assert.match(wrongType.message, /STRIPE_subscription_count.*integer/);
      const long = await failure(update({ custom_attributes: { STRIPE_plan_name: 'x'.repeat(256) } }), 400);
      assert.match(long.message, /255/);
      const badEmail = await failure(update({ email: 'not an email' }), 400);
      assert.equal(badEmail.code, 'parameter_invalid');
      await failure(createUser(client, { email: 'also-bad@' }), 400);
      await failure(createUser(client, { email: 'x@example.com', custom_attributes: { STRIPE_nope: 1 } }), 400);

      const [stored] = emulator.workspace(workspaceId).contacts;
      assert.deepEqual([stored?.email, stored?.custom_attributes], ['strict@example.com', {}]);
      assert.equal(emulator.workspace(workspaceId).contacts.length, 1);
    });

    it('answers 409 when an update takes another user’s email', async () => {
      const { client } = newSession(emulator);
      const first = await createUser(client, { email: 'first@example.com' });
      const second = await createUser(client, { email: 'second@example.com' });
      const { message } = await failure(
        client.contacts.update({ contact_id: second.id, email: 'FIRST@example.com' }),
        409,
      );
      assert.match(message, new RegExp(`id=${first.id}$`));
    });
  });

  describe('search', () => {
    it('finds users by email case-insensitively with an OR of 15 filters beside a role group', async () => {
      const { client } = newSession(emulator);
      const emails = Array.from({ length: 16 }, (_, index) => `user${index}@example.com`);
      for (const email of emails) await createUser(client, { email });
      await client.contacts.create({ role: 'lead', email: 'user0@example.com' } as Intercom.CreateContactRequest);

      const wanted = emails.slice(0, 15).map((email) => email.toUpperCase());
      const orOnly = await client.contacts.search({ query: { operator: 'OR', value: wanted.map(emailFilter) } });
      assert.equal(orOnly.response.total_count, 16, 'the lead matches too');

      // (role = user) AND (email = … OR …): both sides groups, as the 2.14 reference requires.
      const query = {
        operator: 'AND',
        value: [
          { operator: 'AND', value: [{ field: 'role', operator: '=', value: 'user' }] },
          { operator: 'OR', value: wanted.map(emailFilter) },
        ],
      } as Intercom.SearchRequest['query'];
      const users = await client.contacts.search({ query, pagination: { per_page: 150 } });
      assert.deepEqual(users.data.map((contact) => contact.email).sort(), emails.slice(0, 15).sort());
      assert.equal(users.response.total_count, 15);

      const viaIn = await client.contacts.search({
        query: { field: 'email', operator: 'IN', value: wanted.slice(0, 3) },
      });
      assert.equal(viaIn.data.length, 4, 'three users and the lead');
    });

    it('rejects more than 15 filters in a group and more than 2 levels of nesting', async () => {
      const { client } = newSession(emulator);
      const sixteen = Array.from({ length: 16 }, (_, index) => emailFilter(`u${index}@example.com`));
      const tooWide = await failure(client.contacts.search({ query: { operator: 'OR', value: sixteen } }), 400);
      assert.match(tooWide.message, /15 filters/);

      const leaf = { operator: 'OR' as const, value: [emailFilter('a@example.com')] };
      const threeLevels = { operator: 'AND' as const, value: [{ operator: 'OR' as const, value: [leaf] }] };
      const tooDeep = await failure(client.contacts.search({ query: threeLevels }), 400);
      assert.match(tooDeep.message, /2 levels/);

      const twoLevels = { operator: 'AND' as const, value: [leaf] };
      assert.equal((await client.contacts.search({ query: twoLevels })).data.length, 0);
    });

    it('pages with starting_after cursors', async () => {
      const { client } = newSession(emulator);
      for (let index = 0; index < 7; index += 1) await createUser(client, { email: `page${index}@example.com` });
      const query = { field: 'role', operator: '=' as const, value: 'user' };

      let page = await client.contacts.search({ query, pagination: { per_page: 3 } });
      const seen = page.data.map((contact) => contact.email);
      assert.deepEqual(page.response.pages, {
        type: 'pages',
        page: 1,
        per_page: 3,
        total_pages: 3,
        next: { page: 2, starting_after: page.response.pages?.next?.starting_after },
      });
      assert.equal(page.response.total_count, 7);
      while (page.hasNextPage()) {
        page = await page.getNextPage();
        seen.push(...page.data.map((contact) => contact.email));
      }
      assert.equal(page.response.pages?.page, 3);
      assert.equal(page.response.pages?.next, undefined);
      assert.deepEqual(
        seen,
        Array.from({ length: 7 }, (_, index) => `page${index}@example.com`),
      );

      await failure(client.contacts.search({ query, pagination: { per_page: 151 } }), 400);
      await failure(client.contacts.search({ query, pagination: { starting_after: 'bogus' } }), 400);
    });

    it('hides new contacts from search for searchLagMs, but not from find or duplicate checks', async () => {
      await withEmulator({ searchLagMs: 400 }, async (lagging) => {
        const { client, workspaceId } = newSession(lagging);
        const seeded = lagging.createContact(workspaceId, { email: 'old@example.com' });
        const created = await createUser(client, { email: 'new@example.com' });
        const query = {
          operator: 'OR' as const,
          value: [emailFilter('new@example.com'), emailFilter('old@example.com')],
        };

        const early = await client.contacts.search({ query });
        assert.deepEqual(
          early.data.map((contact) => contact.id),
          [seeded.id],
          'pre-existing contacts are searchable at once',
        );
        assert.equal((await client.contacts.find({ contact_id: created.id })).id, created.id);
        const { message } = await failure(createUser(client, { email: 'NEW@example.com' }), 409);
        assert.match(message, new RegExp(created.id));

        await new Promise((resolve) => setTimeout(resolve, 450));
        const late = await client.contacts.search({ query });
        assert.deepEqual(late.data.map((contact) => contact.id).sort(), [seeded.id, created.id].sort());
      });
    });
  });

  describe('data attributes', () => {
    it('creates custom attributes and lists them with the built-in ones', async () => {
      const { client } = newSession(emulator);
      const created = await client.dataAttributes.create({
        name: 'STRIPE_delinquent',
        model: 'contact',
        data_type: 'boolean',
        description: 'Stripe delinquent flag',
      } as Intercom.CreateDataAttributeRequest);
      assert.deepEqual(
        [created.type, created.name, created.full_name, created.data_type, created.custom, created.model],
        ['data_attribute', 'STRIPE_delinquent', 'custom_attributes.STRIPE_delinquent', 'boolean', true, 'contact'],
      );
      const list = await client.dataAttributes.list({ model: 'contact' });
      const byName = new Map((list.data ?? []).map((attribute) => [attribute.name, attribute]));
      assert.equal(byName.get('email')?.custom, false);
      assert.equal(byName.get('STRIPE_delinquent')?.data_type, 'boolean');
      assert.equal((await client.dataAttributes.list({ model: 'company' })).data?.length, 0);
    });

    it('keeps a type once set, rejects bad names, types and the 251st attribute', async () => {
      const { client } = newSession(emulator);
      await defineAttribute(client, 'STRIPE_plan_price', 'float');
      const retyped = await failure(defineAttribute(client, 'stripe_PLAN_price', 'string'), 400);
      assert.equal(retyped.code, 'parameter_invalid');
      assert.match(retyped.message, /already have 'stripe_PLAN_price'/);
      const list = await client.dataAttributes.list({ model: 'contact' });
      assert.equal(list.data?.find((attribute) => attribute.name === 'STRIPE_plan_price')?.data_type, 'float');

      assert.match((await failure(defineAttribute(client, 'has space', 'string'), 400)).message, /alphanumeric/);
      assert.match((await failure(defineAttribute(client, 'STRIPE_x', 'money'), 400)).message, /Data Type/);
      await failure(defineAttribute(client, 'email', 'string'), 400);

      for (let index = 1; index < 250; index += 1) await defineAttribute(client, `attr_${index}`, 'string');
      const capped = await failure(defineAttribute(client, 'attr_250', 'string'), 400);
      assert.match(capped.message, /250/);
    });
  });

  describe('events', () => {
    it('accepts an event with 202, stores it once per (contact, name, created_at)', async () => {
      const { client, workspaceId } = newSession(emulator);
      const user = await createUser(client, { email: 'events@example.com', external_id: 'ext-1' });
      const event = {
        id: user.id,
        event_name: 'stripe-charged',
        created_at: 1_700_000_000,
        metadata: { charge_id: 'ch_1', amount: { amount: 1999, currency: 'usd' } },
      } as unknown as Intercom.CreateDataEventRequest;

      const { data, rawResponse } = await client.events.create(event).withRawResponse();
      assert.equal(data, undefined);
      assert.equal(rawResponse.status, 202);
      await client.events.create(event);
      await client.events.create({ user_id: 'ext-1', event_name: 'stripe-charged', created_at: 1_700_000_000 });
      await client.events.create({
        email: 'EVENTS@example.com',
        event_name: 'stripe-charged',
        created_at: 1_700_000_001,
      });

      const stored = emulator.workspace(workspaceId).events;
      assert.deepEqual(
        stored.map((entry) => [entry.contact_id, entry.event_name, entry.created_at]),
        [
          [user.id, 'stripe-charged', 1_700_000_000],
          [user.id, 'stripe-charged', 1_700_000_001],
        ],
      );
      assert.deepEqual(stored[0]?.metadata, { charge_id: 'ch_1', amount: { amount: 1999, currency: 'usd' } });
      assert.equal(emulator.requestCounts(workspaceId)['POST /events'], 4, 'duplicates still cost a request');
    });

    it('answers 404 for an unknown user and 400 for more than 10 metadata keys', async () => {
      const { client, workspaceId } = newSession(emulator);
      const user = await createUser(client, { email: 'meta@example.com' });
      const missing = await failure(
        client.events.create({ user_id: 'nobody', event_name: 'stripe-charged', created_at: 1 }),
        404,
      );
      assert.equal(missing.code, 'not_found');

      const metadata = Object.fromEntries(Array.from({ length: 11 }, (_, index) => [`key${index}`, 'v']));
      const tooMany = await failure(
        client.events.create({ id: user.id, event_name: 'x', created_at: 1, metadata }),
        400,
      );
      assert.match(tooMany.message, /10 metadata keys/);
      assert.equal(emulator.workspace(workspaceId).events.length, 0);
    });

    it('caps a workspace at 120 distinct event names', async () => {
      const { client } = newSession(emulator);
      const user = await createUser(client, { email: 'names@example.com' });
      for (let index = 0; index < 120; index += 1) {
        await client.events.create({ id: user.id, event_name: `event-${index}`, created_at: 1 });
      }
      await client.events.create({ id: user.id, event_name: 'event-0', created_at: 2 });
      const capped = await failure(client.events.create({ id: user.id, event_name: 'event-120', created_at: 1 }), 400);
      assert.match(capped.message, /120/);
    });
  });

  describe('auth, rate limits and faults', () => {
    it('answers 401 for a missing, unknown or revoked token', async () => {
      const { client, token } = newSession(emulator);
      await client.admins.identify();
      const { code, message } = await failure(connect(emulator, 'not-a-token').admins.identify(), 401);
      assert.deepEqual([code, message], ['unauthorized', 'Access Token Invalid']);
      // The SDK refuses to send a request without a token, so the bare request goes through fetch.
      const bare = await fetch(`${emulator.url}/me`);
      assert.equal(bare.status, 401);
      assert.equal(((await bare.json()) as Intercom.Error_).errors[0]?.code, 'unauthorized');
      assert.equal(emulator.revokeToken(token), true);
      await failure(client.contacts.search({ query: emailFilter('a@example.com') }), 401);
    });

    it('enforces rateLimitPerMinute/6 per 10-second window (aligned to the clock) per token, with X-RateLimit-* headers', async () => {
      await withEmulator({ rateLimitPerMinute: 60 }, async (limited) => {
        const first = newSession(limited);
        const second = newSession(limited);
        const windowEnd = await withinOneRateWindow();
        for (let used = 1; used <= 10; used += 1) {
          const { rawResponse } = await first.client.admins.identify().withRawResponse();
          assert.equal(
            rawResponse.headers.get('x-ratelimit-limit'),
            '10',
            'the window’s count, as Intercom’s docs show',
          );
          assert.equal(rawResponse.headers.get('x-ratelimit-remaining'), String(10 - used));
          const reset = Number(rawResponse.headers.get('x-ratelimit-reset'));
          assert.equal(reset % 10, 0, `reset ${reset} ends a window aligned to the clock`);
          assert.equal(reset, windowEnd);
        }
        const { error, code, message } = await failure(first.client.admins.identify(), 429);
        assert.deepEqual([code, message], ['rate_limit_exceeded', 'Exceeded rate limit of 10 in 10_seconds']);
        assert.equal(error.rawResponse?.headers.get('x-ratelimit-remaining'), '0');
        assert.ok(Number(error.rawResponse?.headers.get('x-ratelimit-reset')) * 1000 > Date.now());
        await second.client.admins.identify();
      });
    });

    it('injects 5xx before or after a request takes effect', async () => {
      await withEmulator({}, async (faulty) => {
        const { client, workspaceId } = newSession(faulty);
        faulty.setFaults({ failNext: { count: 1, status: 503 } });
        assert.equal(
          (await failure(createUser(client, { email: 'lost@example.com' }), 503)).code,
          'service_unavailable',
        );
        assert.equal(faulty.workspace(workspaceId).contacts.length, 0, 'a failure before the effect changes nothing');

        faulty.setFaults({ failNext: { count: 1, afterEffect: true } });
        await failure(createUser(client, { email: 'lost@example.com' }), 500);
        const [applied] = faulty.workspace(workspaceId).contacts;
        const { message } = await failure(createUser(client, { email: 'lost@example.com' }), 409);
        assert.match(message, new RegExp(`id=${applied?.id}$`), 'the retry meets the contact its lost answer created');

        faulty.setFaults({ failNext: { count: 1, status: 503, endpoint: 'POST /contacts' } });
        await client.admins.identify();
        await failure(createUser(client, { email: 'only-creates@example.com' }), 503);
        assert.equal(faulty.faults().failNextRemaining, 0, 'only the named endpoint draws the scheduled failure');

        faulty.setFaults({ failureRate: 1 });
        for (let attempt = 0; attempt < 5; attempt += 1) {
          const error = await client.admins.identify().then(
            () => assert.fail('failureRate 1 let a request through'),
            (thrown: unknown) => thrown,
          );
          assert.ok(error instanceof IntercomError && [500, 503].includes(error.statusCode ?? 0), String(error));
        }
        faulty.setFaults({ failureRate: 0 });
        await client.admins.identify();
      });
    });

    it('adds latencyMs to every request', async () => {
      await withEmulator({ latencyMs: 150 }, async (slow) => {
        const { client } = newSession(slow);
        const started = performance.now();
        await client.admins.identify();
        assert.ok(performance.now() - started >= 145);
      });
    });

    it('counts requests per endpoint pattern and per workspace, except seeded contacts', async () => {
      await withEmulator({}, async (counted) => {
        const one = newSession(counted);
        const two = newSession(counted);
        counted.createContact(one.workspaceId, { email: 'seed@example.com' });
        const created = await createUser(one.client, { email: 'count@example.com' });
        await one.client.contacts.update({ contact_id: created.id, name: 'x' });
        await one.client.contacts.update({ contact_id: created.id, name: 'y' });
        await two.client.contacts.find({ contact_id: created.id }).catch(() => undefined);
        await failure(connect(counted, 'bad').admins.identify(), 401);

        assert.deepEqual(counted.requestCounts(one.workspaceId), { 'POST /contacts': 1, 'PUT /contacts/:id': 2 });
        assert.deepEqual(counted.requestCounts(two.workspaceId), { 'GET /contacts/:id': 1 });
        assert.deepEqual(counted.requestCounts(), {
          'POST /contacts': 1,
          'PUT /contacts/:id': 2,
          'GET /contacts/:id': 1,
          'GET /me': 1,
        });
        counted.resetCounts();
        assert.deepEqual(counted.requestCounts(), {});
      });
    });
  });
});
