import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

/**
 * Work someone waits for (a live change, due in Intercom within seconds of its webhook) runs inside `asLiveWork`, and
 * a PriorityPool gives its queries the next free connection ahead of other work's (an import's batches), however long
 * those waited. With one queue, in the fleet bench (`npm run bench:fleet -- --arrival-seconds 300`), a live change's
 * dozen queries each queued behind up to 170 of the imports': a one-customer batch took 2–4 s where it takes 0.4 s.
 */
const liveWork = new AsyncLocalStorage<true>();

export function asLiveWork<T>(work: () => Promise<T>): Promise<T> {
  return liveWork.run(true, work);
}

export function isLiveWork(): boolean {
  return liveWork.getStore() === true;
}

interface Waiter {
  grant(): void;
  timer?: NodeJS.Timeout;
}

type ConnectCallback = (
  err: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: Error | boolean) => void,
) => void;

/**
 * A pg.Pool whose connections are handed out live work first (asLiveWork), otherwise in arrival order. Its own gate
 * holds the waiters, so pg's queue stays empty: at most `max` checkouts pass it, each one taking its place back on
 * release. `connectionTimeoutMillis` bounds the wait at the gate with pg's own error.
 */
export class PriorityPool extends pg.Pool {
  private free: number;
  private readonly gateTimeoutMs: number | undefined;
  private readonly waiting: { live: Waiter[]; other: Waiter[] } = { live: [], other: [] };

  constructor(config: pg.PoolConfig) {
    super(config);
    this.free = config.max ?? 10;
    this.gateTimeoutMs = config.connectionTimeoutMillis;
  }

  /** Checkouts waiting at the gate (pg's own waitingCount stays 0). */
  get waitingAtGate(): { live: number; other: number } {
    return { live: this.waiting.live.length, other: this.waiting.other.length };
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    const checkedOut = this.pass(isLiveWork()).then(() => this.checkOut());
    if (!callback) return checkedOut;
    checkedOut.then(
      (client) => callback(undefined, client, (release) => client.release(release)),
      (err: Error) => callback(err, undefined, () => undefined),
    );
  }

  private async checkOut(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await super.connect();
    } catch (err) {
      this.leave();
      throw err;
    }
    // pg sets a new release on every checkout; the gate's place is given back once, whatever calls it.
    const release = client.release.bind(client);
    let released = false;
    client.release = (err) => {
      if (!released) {
        released = true;
        this.leave();
      }
      release(err);
    };
    return client;
  }

  private pass(live: boolean): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const queue = live ? this.waiting.live : this.waiting.other;
      const waiter: Waiter = { grant: resolve };
      const timeoutMs = this.gateTimeoutMs;
      if (timeoutMs) {
        waiter.timer = setTimeout(() => {
          queue.splice(queue.indexOf(waiter), 1);
          reject(new Error('timeout exceeded when trying to connect'));
        }, timeoutMs);
        waiter.timer.unref();
      }
      queue.push(waiter);
    });
  }

  private leave(): void {
    const next = this.waiting.live.shift() ?? this.waiting.other.shift();
    if (!next) {
      this.free += 1;
      return;
    }
    clearTimeout(next.timer);
    next.grant();
  }
}
