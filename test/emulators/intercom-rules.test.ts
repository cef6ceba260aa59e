import assert from 'node:assert/strict';
import { type Intercom, IntercomClient, IntercomError } from 'intercom-client';
import { type IntercomEmulator, startIntercomEmulator } from '../../emulators/intercom';

/**
 * Intercom's own rules that the sync must respect, each as Intercom documents it (see the comments beside the
 * emulator code): search group shapes, same-second event de-duplication, archived attributes, the 250-attribute cap,
 * case-insensitive attribute names, and leads becoming users.
 */
describe('Intercom emulator: Intercom rules (through intercom-client)', function () {
  this.timeout(20_000);
  let emulator: IntercomEmulator;

  before(async () => {
    emulator = await startIntercomEmulator({ port: 0 });
  });
  after(() => emulator.close());

  function session() {
    const { workspaceId, token } = emulator.createWorkspace();
    return { workspaceId, client: new IntercomClient({ token, baseUrl: emulator.url, maxRetries: 0 }) };
  }

  async function rejected(call: Promise<unknown>, status: number) {
    const error = await call.then(
      () => assert.fail(`expected HTTP ${status}, but the call succeeded`),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof IntercomError, String(error));
    assert.equal(error.statusCode, status, error.message);
    const body = error.body as Intercom.Error_;
    assert.equal(body.type, 'error.list');
    const [first] = body.errors;
    assert.ok(first);
    return { code: first.code, message: first.message ?? '' };
  }

  const defineAttribute = (client: IntercomClient, name: string, dataType = 'string') =>
    client.dataAttributes.create({
      name,
      model: 'contact',
      data_type: dataType,
    } as Intercom.CreateDataAttributeRequest);

  describe('search groups', () => {
    const email = (value: string) => ({ field: 'email', operator: '=' as const, value });

    it('rejects a group whose value mixes a filter and a nested group, with Intercom’s error shape', async () => {
      const { client } = session();
      const mixed = {
        operator: 'AND',
        value: [
          { field: 'role', operator: '=', value: 'user' },
          { operator: 'OR', value: [email('a@example.com')] },
        ],
      } as Intercom.SearchRequest['query'];
      const { code, message } = await rejected(client.contacts.search({ query: mixed }), 400);
      assert.equal(code, 'parameter_invalid');
      assert.match(message, /all filters or all nested groups/);
    });

    it('accepts groups of only filters and groups of only groups', async () => {
      const { client } = session();
      await client.contacts.create({ role: 'user', email: 'a@example.com' } as Intercom.CreateContactRequest);
      const filters = await client.contacts.search({
        query: { operator: 'OR', value: [email('a@example.com'), email('b@example.com')] },
      });
      assert.equal(filters.data.length, 1);
      const groups = await client.contacts.search({
        query: {
          operator: 'AND',
          value: [
            { operator: 'OR', value: [{ field: 'role', operator: '=', value: 'user' }] },
            { operator: 'OR', value: [email('A@example.com')] },
          ],
        } as Intercom.SearchRequest['query'],
      });
      assert.equal(groups.data.length, 1);
    });
  });

  describe('data events', () => {
    it('keeps one of two events with the same contact, name and created_at, answering 202 to both', async () => {
      const { client, workspaceId } = session();
      const contact = await client.contacts.create({
        role: 'user',
        email: 'e@example.com',
      } as Intercom.CreateContactRequest);
      const send = (createdAt: number, charge: string) =>
        client.events.create({
          id: contact.id,
          event_name: 'stripe-charged',
          created_at: createdAt,
          metadata: { charge },
        });
      await send(1_700_000_000, 'ch_1');
      await send(1_700_000_000, 'ch_2'); // different metadata, same second: still dropped
      await send(1_700_000_001, 'ch_3');
      const events = emulator.workspace(workspaceId).events;
      assert.deepEqual(
        events.map((event) => [event.created_at, event.metadata.charge]),
        [
          [1_700_000_000, 'ch_1'],
          [1_700_000_001, 'ch_3'],
        ],
      );
    });
  });

  describe('data attributes', () => {
    it('hides archived attributes unless asked, and refuses to create one with an archived name', async () => {
      const { client, workspaceId } = session();
      emulator.createDataAttribute(workspaceId, { name: 'STRIPE_plan', archived: true });
      const active = await client.dataAttributes.list({ model: 'contact' });
      assert.ok(!active.data?.some((attribute) => attribute.name === 'STRIPE_plan'));
      const all = await client.dataAttributes.list({ model: 'contact', include_archived: true });
      assert.equal(all.data?.find((attribute) => attribute.name === 'STRIPE_plan')?.archived, true);

      const { code, message } = await rejected(defineAttribute(client, 'STRIPE_plan'), 400);
      assert.equal(code, 'parameter_invalid');
      assert.match(message, /You already have 'STRIPE_plan'/);

      const contact = client.contacts.create({
        role: 'user',
        email: 'x@example.com',
        custom_attributes: { STRIPE_plan: 'Pro' },
      } as Intercom.CreateContactRequest);
      assert.equal((await rejected(contact, 400)).code, 'parameter_not_found');
    });

    it('seeds archived attributes over the inspection API too', async () => {
      const { client, workspaceId } = session();
      const response = await fetch(`${emulator.url}/_emulator/workspaces/${workspaceId}/data_attributes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Legacy_plan', data_type: 'string', archived: true }),
      });
      assert.equal(response.status, 201);
      assert.equal(((await response.json()) as { archived: boolean }).archived, true);
      const active = await client.dataAttributes.list({ model: 'contact' });
      assert.ok(!active.data?.some((attribute) => attribute.name === 'Legacy_plan'));
    });

    it('archives through PUT /data_attributes/{id}', async () => {
      const { client } = session();
      const created = await defineAttribute(client, 'Old_one');
      const archived = await client.dataAttributes.update({
        data_attribute_id: created.id ?? 0,
        body: { archived: true } as Intercom.UpdateDataAttributeRequestBody,
      });
      assert.equal(archived.archived, true);
      await rejected(defineAttribute(client, 'old_ONE'), 400);
    });

    it('refuses a name that differs only in letter case', async () => {
      const { client } = session();
      await defineAttribute(client, 'Stripe_Plan');
      const { message } = await rejected(defineAttribute(client, 'STRIPE_plan'), 400);
      assert.match(message, /You already have 'STRIPE_plan'/);
    });

    it('caps custom attributes at 250, archived ones not counted', async () => {
      const { client, workspaceId } = session();
      for (let index = 0; index < 250; index += 1) emulator.createDataAttribute(workspaceId, { name: `attr_${index}` });
      const { code, message } = await rejected(defineAttribute(client, 'one_too_many'), 400);
      assert.equal(code, 'parameter_invalid');
      assert.match(message, /limit of 250/);

      const first = emulator.workspace(workspaceId).dataAttributes[0];
      await client.dataAttributes.update({
        data_attribute_id: first?.id ?? 0,
        body: { archived: true } as Intercom.UpdateDataAttributeRequestBody,
      });
      assert.equal((await defineAttribute(client, 'one_too_many')).name, 'one_too_many');
    });
  });

  describe('leads', () => {
    it('turns a lead into a user by updating its role, keeping its id; a user never becomes a lead', async () => {
      const { client, workspaceId } = session();
      const lead = emulator.createContact(workspaceId, { role: 'lead', email: 'lead@example.com' });
      const found = await client.contacts.search({
        query: { operator: 'OR', value: [{ field: 'email', operator: '=', value: 'LEAD@example.com' }] },
      });
      assert.deepEqual(
        found.data.map((contact) => [contact.id, contact.role]),
        [[lead.id, 'lead']],
      );

      const user = await client.contacts.update({ contact_id: lead.id, role: 'user' });
      assert.deepEqual([user.id, user.role, user.email], [lead.id, 'user', 'lead@example.com']);
      assert.equal(emulator.workspace(workspaceId).contacts.length, 1);

      const duplicate = client.contacts.create({
        role: 'user',
        email: 'lead@example.com',
      } as Intercom.CreateContactRequest);
      assert.match((await rejected(duplicate, 409)).message, new RegExp(`id=${lead.id}`));
      assert.equal(
        (await rejected(client.contacts.update({ contact_id: lead.id, role: 'lead' }), 400)).code,
        'client_error',
      );
    });

    it('refuses to make a lead without email or external_id a user', async () => {
      const { client, workspaceId } = session();
      const anonymous = emulator.createContact(workspaceId, { role: 'lead', name: 'Visitor' });
      assert.equal(
        (await rejected(client.contacts.update({ contact_id: anonymous.id, role: 'user' }), 400)).code,
        'parameter_invalid',
      );
    });
  });
});
