import assert from 'node:assert/strict';
import { type Intercom, IntercomClient } from 'intercom-client';
import { type IntercomEmulator, startIntercomEmulator } from '../../emulators/intercom';
import { listContactEvents, listContacts } from '../../src/reconcile/intercom-state';

/** The two listings reconcile reads (`GET /contacts`, `GET /events?type=user`), through the official client. */
describe('Intercom emulator: listing contacts and data events', function () {
  this.timeout(20_000);
  let emulator: IntercomEmulator;
  let client: IntercomClient;

  before(async () => {
    // Search lag must not hide contacts from the list.
    emulator = await startIntercomEmulator({ port: 0, searchLagMs: 60_000 });
    const { token } = emulator.createWorkspace();
    client = new IntercomClient({ token, baseUrl: emulator.url, maxRetries: 0 });
  });
  after(() => emulator.close());

  it('lists every contact across pages, new ones included', async () => {
    const created = [];
    for (let index = 0; index < 160; index++) {
      created.push(await client.contacts.create({ role: 'user', email: `list${index}@example.com` }));
    }
    const listed = await listContacts(client);
    assert.deepEqual(
      listed.map((contact) => contact.id),
      created.map((contact) => contact.id),
    );
    const firstPage = await client.contacts.list({ per_page: 150 });
    assert.equal(firstPage.data.length, 150);
    assert.equal(firstPage.hasNextPage(), true);
  });

  it('lists one contact’s data events newest first, paging with `before`, and requires type=user', async () => {
    const user = await client.contacts.create({ role: 'user', email: 'events-list@example.com' });
    const now = Math.floor(Date.now() / 1000);
    for (let offset = 0; offset < 120; offset++) {
      await client.events.create({
        id: user.id,
        event_name: 'stripe-charged',
        created_at: now - offset,
      } as unknown as Intercom.CreateDataEventRequest);
    }
    // Older than Intercom lists (90 days).
    await client.events.create({
      id: user.id,
      event_name: 'stripe-charged',
      created_at: now - 91 * 86_400,
    } as unknown as Intercom.CreateDataEventRequest);
    const counts = await listContactEvents(client, user.id);
    assert.equal(counts.size, 120);
    assert.equal(counts.get(`stripe-charged|${now}`), 1);
    const page = (await client.events.list({ type: 'user', intercom_user_id: user.id, per_page: 10 })) as unknown as {
      type: string;
      events: { created_at: number }[];
      pages: { next?: string };
    };
    assert.equal(page.type, 'event.list');
    assert.deepEqual(
      page.events.map((event) => event.created_at),
      Array.from({ length: 10 }, (_, index) => now - index),
    );
    assert.match(page.pages.next ?? '', /before=\d+/);
    await assert.rejects(client.events.list({ type: 'lead', intercom_user_id: user.id }), /400/);
  });
});
