import type { Pool } from 'pg';
import type { Install } from '../db/installs';
import type { SyncCounters, WorkItem } from '../shared/messages';
import { IntercomRejected, type ContactGateway } from './intercom-gateway';
import { ContactSearch, type ContactGroup } from './contact-search';
import { BatchLocks } from './contact-locks';
import { CatalogCache, UnmappableStripeData } from './contact-fields';
import { ContactStateMachine } from './contact-state-machine';
import { sendContactEvents } from './contact-events';
import { WriteFailures } from './contact-write-failures';
import type { BatchEvents } from './batch-events';

export interface WriterDatabases {
  pool: Pool;
  lockPool: Pool;
}

/**
 * Writes a batch of customers to Intercom: plans it (groups by contact, batched searches), takes the locks of the
 * people it writes and reads ahead under them, then for each group resolves its contact (link, known contact, search,
 * create), writes the attributes when they changed, and sends the data events.
 */
export class ContactWriter {
  private readonly search: ContactSearch;
  private readonly locks: BatchLocks;
  private readonly catalogs: CatalogCache;
  private readonly contacts: ContactStateMachine;
  private readonly failures: WriteFailures;

  /**
   * `databases.pool` runs every query; `databases.lockPool` only holds the batch's advisory locks (see withLocks), so a
   * lock holder never waits for a connection that another lock holder has.
   */
  constructor(
    private readonly install: Install,
    private readonly intercom: ContactGateway,
    private readonly databases: WriterDatabases,
    private readonly counters: SyncCounters,
    private readonly events: BatchEvents,
    now: () => Date = () => new Date(),
  ) {
    const { pool, lockPool } = databases;
    this.search = new ContactSearch(install, intercom, pool, counters);
    this.locks = new BatchLocks(install.id, pool, lockPool, this.search);
    this.catalogs = new CatalogCache(install.id, pool);
    this.contacts = new ContactStateMachine(install, intercom, pool, counters, this.search, this.catalogs, now);
    this.failures = new WriteFailures(install.id, pool, counters);
  }

  /** The last per-customer failure this writer recorded (the batch reports it as the sync's last error). */
  get lastFailure(): string | null {
    return this.failures.last;
  }

  /** Groups the batch by contact and runs the batched searches for customers not linked yet. */
  async plan(items: WorkItem[]): Promise<ContactGroup[]> {
    const { groups, mirrored } = await this.search.group(items);
    await Promise.all([
      this.search.searchUnlinked(groups.filter((group) => !group.contactId)),
      this.locks.readLinkedContactEmails(groups.flatMap((group) => (group.contactId ? [group.contactId] : []))),
      this.catalogs.readFor(mirrored),
    ]);
    return groups;
  }

  /** Runs `work` holding the locks of every person the groups write (BatchLocks.withLocks). */
  async withLocks(groups: ContactGroup[], work: (buckets: ContactGroup[][]) => Promise<void>): Promise<void> {
    await this.locks.withLocks(groups, (failing) => this.failures.readUnderLocks(failing), work);
  }

  /**
   * Writes one group's contact and events, its lock held (see withLocks). What no retry can fix
   * (Intercom rejecting the contact, Stripe data the mapping cannot handle) is recorded against its customers, and the
   * rest of the batch goes on.
   */
  async write(group: ContactGroup): Promise<void> {
    let contactId: string | null;
    try {
      contactId = await this.contacts.write(group, this.locks.take(group));
    } catch (err) {
      if (!(err instanceof IntercomRejected || err instanceof UnmappableStripeData)) throw err;
      await this.failures.record(group, err.message, err.code);
      return;
    }
    await this.failures.clear(group.items.map((item) => item.customerId));
    const deps = {
      installId: this.install.id,
      pool: this.databases.pool,
      intercom: this.intercom,
      catalogs: this.catalogs,
      counters: this.counters,
      failures: this.failures,
      events: this.events,
    };
    for (const item of group.items) await sendContactEvents(deps, contactId, item);
  }

  /** Records every customer of the group as failed with `reason` (WriteFailures.record). */
  async recordGroupFailure(group: { items: WorkItem[] }, reason: string, code: string | null): Promise<void> {
    await this.failures.record(group, reason, code);
  }
}
