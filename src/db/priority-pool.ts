import pg from 'pg';
import { LiveFirstQueue } from '../shared/live-work';

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
 * release. `connectionTimeoutMillis` bounds the wait at the gate with pg's own error. With pg's single queue, in the
 * fleet bench (`npm run bench:fleet -- --arrival-seconds 300`), a live change's dozen queries each queued behind up
 * to 170 of the imports': a one-customer batch took 2–4 s where it takes 0.4 s.
 */
export class PriorityPool extends pg.Pool {
  private free: number;
  private readonly gateTimeoutMs: number | undefined;
  private readonly waiting = new LiveFirstQueue<Waiter>();

  constructor(config: pg.PoolConfig) {
    super(config);
    this.free = config.max ?? 10;
    this.gateTimeoutMs = config.connectionTimeoutMillis;
  }

  /** Checkouts waiting at the gate (pg's own waitingCount stays 0). */
  get waitingAtGate(): { live: number; other: number } {
    return this.waiting.sizes;
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    const checkedOut = this.pass().then(() => this.checkOut());
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

  private pass(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: resolve };
      const timeoutMs = this.gateTimeoutMs;
      if (timeoutMs) {
        waiter.timer = setTimeout(() => {
          this.waiting.remove(waiter);
          reject(new Error('timeout exceeded when trying to connect'));
        }, timeoutMs);
        waiter.timer.unref();
      }
      this.waiting.push(waiter);
    });
  }

  private leave(): void {
    const next = this.waiting.shift();
    if (!next) {
      this.free += 1;
      return;
    }
    clearTimeout(next.timer);
    next.grant();
  }
}
