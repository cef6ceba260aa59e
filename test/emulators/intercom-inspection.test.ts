import assert from 'node:assert/strict';
import { type Intercom, IntercomClient, IntercomError } from 'intercom-client';
import { type IntercomEmulator, startIntercomEmulator } from '../../emulators/intercom';

describe('Intercom emulator: /_emulator inspection API and HTTP edges', () => {
  let emulator: IntercomEmulator;

  before(async () => {
    emulator = await startIntercomEmulator({ port: 0 });
  });
  after(() => emulator.close());

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  it('sets up a workspace, seeds contacts and shows what the API wrote, without counting itself', async () => {
    const created = await call('POST', '/_emulator/workspaces', { id: 'acme', name: 'Acme', token: 'acme-token-1' });
    assert.deepEqual(created, { status: 201, body: { workspaceId: 'acme', token: 'acme-token-1' } });
    assert.equal((await call('POST', '/_emulator/workspaces', { id: 'acme' })).status, 409);

    const seeded = await call('POST', '/_emulator/workspaces/acme/contacts', { email: 'seed@example.com' });
    assert.equal(seeded.status, 201);
    const client = new IntercomClient({ token: 'acme-token-1', baseUrl: emulator.url, maxRetries: 0 });
    await client.dataAttributes.create({
      name: 'STRIPE_id',
      model: 'contact',
      data_type: 'string',
    } as Intercom.CreateDataAttributeRequest);
    const contact = await client.contacts.create({
      role: 'user',
      email: 'api@example.com',
      custom_attributes: { STRIPE_id: 'cus_1' },
    } as Intercom.CreateContactRequest);
    await client.events.create({ id: contact.id, event_name: 'stripe-charged', created_at: 1 });

    const contacts = (await call('GET', '/_emulator/workspaces/acme/contacts')).body as { email: string }[];
    assert.deepEqual(
      contacts.map((entry) => entry.email),
      ['seed@example.com', 'api@example.com'],
    );
    const events = (await call('GET', '/_emulator/workspaces/acme/events')).body as { contact_id: string }[];
    assert.deepEqual(
      events.map((entry) => entry.contact_id),
      [contact.id],
    );
    const attributes = (await call('GET', '/_emulator/workspaces/acme/data_attributes')).body as { name: string }[];
    assert.deepEqual(
      attributes.map((entry) => entry.name),
      ['STRIPE_id'],
    );
    const snapshot = (await call('GET', '/_emulator/workspaces/acme')).body as { contacts: unknown[]; name: string };
    assert.equal(snapshot.name, 'Acme');
    assert.equal(snapshot.contacts.length, 2);
    assert.deepEqual((await call('GET', '/_emulator/workspaces')).body, [{ id: 'acme', name: 'Acme', region: 'US' }]);
    assert.equal((await call('GET', '/_emulator/workspaces/nope')).status, 404);

    assert.deepEqual((await call('GET', '/_emulator/counts?workspace_id=acme')).body, {
      'POST /data_attributes': 1,
      'POST /contacts': 1,
      'POST /events': 1,
    });
    assert.equal((await call('DELETE', '/_emulator/counts')).status, 204);
    assert.deepEqual((await call('GET', '/_emulator/counts')).body, {});
  });

  it('schedules faults and revokes tokens over HTTP', async () => {
    const { token } = emulator.createWorkspace();
    const client = new IntercomClient({ token, baseUrl: emulator.url, maxRetries: 0 });

    const faults = await call('POST', '/_emulator/faults', { failNext: { count: 1, status: 503 } });
    assert.equal((faults.body as { failNextRemaining: number }).failNextRemaining, 1);
    const error = await client.admins.identify().catch((thrown: unknown) => thrown);
    assert.ok(error instanceof IntercomError && error.statusCode === 503);
    await client.admins.identify();
    assert.equal((await call('POST', '/_emulator/faults', { failureRate: 2 })).status, 400);
    assert.equal((await call('POST', '/_emulator/faults', { surprise: true })).status, 400);

    assert.deepEqual((await call('POST', '/_emulator/tokens/revoke', { token })).body, { revoked: true });
    const revoked = await client.admins.identify().catch((thrown: unknown) => thrown);
    assert.ok(revoked instanceof IntercomError && revoked.statusCode === 401);
  });

  it('answers unknown routes, other API versions and malformed bodies with Intercom errors', async () => {
    const { token } = emulator.createWorkspace();
    const send = (path: string, init: RequestInit = {}) =>
      fetch(`${emulator.url}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers },
      });
    const errorOf = async (response: Response) => ((await response.json()) as Intercom.Error_).errors[0]?.code;

    const unknown = await send('/tickets');
    assert.equal(unknown.status, 404);
    assert.equal(await errorOf(unknown), 'not_found');
    const oldVersion = await send('/me', { headers: { 'Intercom-Version': '2.13' } });
    assert.equal(oldVersion.status, 400);
    assert.equal(await errorOf(oldVersion), 'intercom_version_invalid');
    const malformed = await send('/contacts', { method: 'POST', body: '{"email":' });
    assert.equal(malformed.status, 400);
    assert.equal(await errorOf(malformed), 'parameter_invalid');
    const wrongShape = await send('/events', { method: 'POST', body: JSON.stringify({ event_name: 'x' }) });
    assert.equal(wrongShape.status, 400);
    assert.match(((await wrongShape.json()) as Intercom.Error_).errors[0]?.message ?? '', /created_at/);
  });
});
