import { setTimeout as sleep } from 'node:timers/promises';
import { asLiveWork, LiveFirstQueue } from '../shared/live-work';

/**
 * Keeps one Stripe account's requests under Stripe's limits (https://docs.stripe.com/rate-limits): 100 requests/s per
 * account in live mode, 25 in test mode, and 25 requests/s per endpoint, where an endpoint is one named operation
 * (`GET /v1/customers/{id}` whatever the id). With a SharedStripeBudget (every worker and the API: a token bucket per
 * account and per endpoint in PostgreSQL) the limits hold across processes; without one, across this process only.
 *
 * Requests are spaced evenly rather than sent in bursts: a burst that fits the per-second budget on our side can still
 * land in one of Stripe's windows with the previous one's tail. The budgets are 90 % of Stripe's for the same reason
 * (network jitter bunches requests on arrival).
 *
 * A 429 blocks the account (or only the endpoint, when `Stripe-Rate-Limited-Reason` says `endpoint-rate` or
 * `endpoint-concurrency`) for `Retry-After` when Stripe sends one, else for a jittered exponential backoff ("full
 * jitter": uniform in [0, base × 2^n]), as the same page asks; the request is then sent again, a few times, before
 * the 429 reaches the caller (and Temporal's retry). So a burst of work costs a few paced requests instead of a storm
 * of activity retries that re-read everything.
 *
 * Within a process, the shared budget's tokens go to live work's requests first (asLiveWork, live-work.ts): a webhook's
 * change to a customer the import has not read yet re-reads it from the same list endpoints (`GET /v1/subscriptions`,
 * `GET /v1/charges`) the import pages through at the endpoint's whole budget. In arrival order, such a change waited
 * behind the import's pages: a batch of 16 took 4.3 s of Stripe reads in the fleet bench. Across processes, a grant
 * asked for live work holds the endpoint for live work a little while, and the budget defers other processes' grants
 * for other work meanwhile (migration 015).
 */
export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export const systemClock: PacerClock = { now: Date.now, sleep: (ms) => sleep(ms), random: Math.random };

export interface PacerLimits {
  perSecond: number;
  perEndpointPerSecond: number;
}

/** 90 % of Stripe's documented limits (see above). */
export const LIVE_LIMITS: PacerLimits = { perSecond: 90, perEndpointPerSecond: 22 };
export const TEST_LIMITS: PacerLimits = { perSecond: 22, perEndpointPerSecond: 22 };

/**
 * The budget of an account shared by every process: each grant reserves a few requests at the earliest time the
 * account and the endpoint are both free, and moves each one's next free time on by the grant's size at its rate
 * (`perSecond`). A grant's requests are sent together at that time (never before: the wait is measured from the
 * database's clock and slept after its answer) and lapse unsent GRANT_LIFETIME_MS later. So the requests sent in any
 * second, wherever that second starts, are at most MAX_GRANT + perSecond × (1 s + lifetime): 4 + 85 × 1.05 = 93 of
 * the account's 100 in live mode, 4 + 19 × 1.05 = 24 of an endpoint's (or a test account's) 25.
 */
export interface SharedLimits {
  accountPerSecond: number;
  endpointPerSecond: number;
}

export const SHARED_LIVE_LIMITS: SharedLimits = { accountPerSecond: 85, endpointPerSecond: 19 };
export const SHARED_TEST_LIMITS: SharedLimits = { accountPerSecond: 19, endpointPerSecond: 19 };

/** Requests reserved at once: a round trip to the budget per few requests rather than per request. */
export const MAX_GRANT = 4;
/** A grant's requests not sent by then lapse (the bound above counts on it). */
export const GRANT_LIFETIME_MS = 50;

export interface BudgetRequest {
  /** `<account>:<live|test>`. */
  account: string;
  endpoint: string;
  wanted: number;
  limits: SharedLimits;
  /** For live work (asLiveWork): never deferred, and defers other work's grants for the endpoint a little while. */
  live: boolean;
}

/**
 * A grant: how long to wait before sending its requests. Or none for now: the endpoint is held for live work of
 * another process, ask again in `deferredMs`.
 */
export type BudgetAnswer = { waitMs: number } | { deferredMs: number };

/** Reserves `wanted` requests of an account's shared budget. */
export interface SharedStripeBudget {
  reserve(request: BudgetRequest): Promise<BudgetAnswer>;
}

/** How a 429 answer looks to the pacer; null when the answer is not a 429. */
export interface RateLimitedAnswer {
  /** Stripe-Rate-Limited-Reason: global-rate, endpoint-rate, global-concurrency, endpoint-concurrency, … */
  reason: string | null;
  retryAfterMs: number | null;
}

/** An account's share of a SharedStripeBudget: its key there and the limits to refill it at. */
interface SharedAccount {
  budget: SharedStripeBudget;
  account: string;
  limits: SharedLimits;
}

interface TokenWaiter {
  handed(): void;
  failed(err: unknown): void;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8_000;
/** The account budget never drops below this share (5 % of 90/s: 4.5 requests/s) after 429s. */
const MIN_ACCOUNT_SHARE = 0.05;
const SHARE_RECOVERY = 0.01;
/** Sends of one request (the first and its retries after a 429) before the 429 goes to the caller. */
export const MAX_SENDS_PER_REQUEST = 4;

export class StripeAccountPacer {
  /**
   * Send times reserved on the account, ascending, from the last spacing before now on. A list rather than a "next
   * free slot": a request of one endpoint may take a gap left before the later reservations of another, whose own
   * budget put them there. With a single pointer, 12 waiting pages of one list pushed the next list's pages behind all
   * of them, and two lists read at once shared 22 requests/s instead of having 22 each.
   */
  private readonly accountSlots: number[] = [];
  private readonly nextEndpointSlot = new Map<string, number>();
  private accountBlockedUntil = 0;
  private readonly endpointBlockedUntil = new Map<string, number>();
  /** Consecutive 429s per endpoint: the exponent of its next backoff; a success there resets it. */
  private readonly consecutive429 = new Map<string, number>();
  /**
   * Share of the account's budget in use: halved by an account-wide 429, grown back by 1 % per success. Stripe may
   * lower an account's limits ("To prevent abuse, we might reduce your limits"), and other clients of the account spend
   * the same budget: after a 429 the pacer settles below what Stripe currently allows instead of hitting it again.
   */
  private accountShare = 1;
  /** Tokens granted by the shared budget and not handed out yet, per endpoint. */
  private readonly grants = new Map<string, { tokens: number; lapsesAt: number }>();
  /** Requests waiting for a token, per endpoint, live work's first. */
  private readonly tokenWaiters = new Map<string, LiveFirstQueue<TokenWaiter>>();
  /** Endpoints with a grant request in flight: one at a time each. */
  private readonly grantRequested = new Set<string>();
  /** Until when the shared budget defers grants for other work than live work, per endpoint. */
  private readonly deferredUntil = new Map<string, number>();

  /**
   * `shared`: the budget every process draws this account's requests from, with the limits to refill it at and the
   * account's key in it; absent, this pacer alone spaces the account's requests at `limits`.
   */
  constructor(
    private readonly limits: PacerLimits,
    private readonly clock: PacerClock = systemClock,
    private readonly shared?: SharedAccount,
  ) {}

  /**
   * Sends `send()` when the account's and the endpoint's budgets allow, and again after a backoff while it answers
   * 429 (at most MAX_SENDS_PER_REQUEST sends). `discard` releases a 429 answer that is not returned.
   */
  async run<R>(
    endpoint: string,
    send: () => Promise<R>,
    rateLimited: (answer: R) => RateLimitedAnswer | null,
    discard: (answer: R) => void = () => undefined,
  ): Promise<R> {
    for (let sends = 1; ; sends++) {
      if (this.shared) await this.takeSharedToken(endpoint, this.shared);
      else await this.waitForSlot(endpoint);
      const answer = await send();
      const limited = rateLimited(answer);
      if (!limited) {
        this.consecutive429.delete(endpoint);
        this.accountShare = Math.min(1, this.accountShare + SHARE_RECOVERY);
        return answer;
      }
      this.block(endpoint, limited);
      if (sends >= MAX_SENDS_PER_REQUEST) return answer;
      discard(answer);
    }
  }

  /**
   * Waits for a token of the shared budget (after any block a 429 set). One grant request per endpoint at a time; it
   * asks for as many tokens as requests wait (up to MAX_GRANT) and hands them out live work's requests first.
   */
  private async takeSharedToken(endpoint: string, shared: SharedAccount): Promise<void> {
    for (;;) {
      if (await this.sleptThroughBlock(endpoint)) continue;
      const waiters = this.waitersFor(endpoint);
      const grant = this.grants.get(endpoint);
      if (waiters.size === 0 && grant && grant.tokens > 0 && grant.lapsesAt > this.clock.now()) {
        grant.tokens -= 1;
        return;
      }
      await new Promise<void>((handed, failed) => {
        waiters.push({ handed, failed });
        this.requestGrant(endpoint, shared);
      });
      // A 429 that blocked while this request waited still holds it back (its token lapses meanwhile).
      if (!(await this.sleptThroughBlock(endpoint))) return;
    }
  }

  private waitersFor(endpoint: string): LiveFirstQueue<TokenWaiter> {
    let waiters = this.tokenWaiters.get(endpoint);
    if (!waiters) {
      waiters = new LiveFirstQueue();
      this.tokenWaiters.set(endpoint, waiters);
    }
    return waiters;
  }

  /**
   * Starts a grant request for `endpoint` unless one is in flight, or the budget deferred other work and no live work
   * waits here; another follows while requests still wait.
   */
  private requestGrant(endpoint: string, shared: SharedAccount): void {
    if (this.grantRequested.has(endpoint)) return;
    const waiters = this.waitersFor(endpoint);
    const live = waiters.sizes.live > 0;
    if (!live && (this.deferredUntil.get(endpoint) ?? 0) > this.clock.now()) return;
    this.grantRequested.add(endpoint);
    // A live grant asks for live work's requests only: the hold it sets is for them.
    const wanted = Math.max(1, Math.min(MAX_GRANT, live ? waiters.sizes.live : waiters.size));
    const reserve = () =>
      shared.budget.reserve({
        account: shared.account,
        endpoint,
        wanted,
        // After an account-wide 429 this process reserves more slowly (see accountShare).
        limits: { ...shared.limits, accountPerSecond: shared.limits.accountPerSecond * this.accountShare },
        live,
      });
    // The budget's own query goes ahead of other work's queries too when live work waits for it.
    (live ? asLiveWork(reserve) : reserve())
      .then(async (answer) => {
        if ('deferredMs' in answer) {
          this.deferUntil(endpoint, this.clock.now() + answer.deferredMs, shared);
          return;
        }
        const { waitMs } = answer;
        if (waitMs > 0) await this.clock.sleep(waitMs);
        let tokens = wanted;
        for (let next = waiters.shift(); next; next = tokens > 0 ? waiters.shift() : undefined) {
          tokens -= 1;
          next.handed();
        }
        this.grants.set(endpoint, { tokens, lapsesAt: this.clock.now() + GRANT_LIFETIME_MS });
      })
      .catch((err: unknown) => {
        for (let next = waiters.shift(); next; next = waiters.shift()) next.failed(err);
      })
      .finally(() => {
        this.grantRequested.delete(endpoint);
        if (waiters.size > 0) this.requestGrant(endpoint, shared);
      });
  }

  /** Asks for the endpoint's grant again at `until`, unless live work here has asked before (requestGrant). */
  private deferUntil(endpoint: string, until: number, shared: SharedAccount): void {
    this.deferredUntil.set(endpoint, until);
    void this.clock.sleep(until - this.clock.now()).then(() => {
      // A later deferral keeps its own time.
      if (this.deferredUntil.get(endpoint) === until) this.deferredUntil.delete(endpoint);
      if (this.waitersFor(endpoint).size > 0) this.requestGrant(endpoint, shared);
    });
  }

  /** Sleeps while a 429 blocks the account or the endpoint; whether it slept (and so must look again). */
  private async sleptThroughBlock(endpoint: string): Promise<boolean> {
    const blockedUntil = Math.max(this.accountBlockedUntil, this.endpointBlockedUntil.get(endpoint) ?? 0);
    const now = this.clock.now();
    if (blockedUntil <= now) return false;
    await this.clock.sleep(blockedUntil - now);
    return true;
  }

  /** Reserves the earliest slot both budgets allow and sleeps until it (re-checking: a 429 may block meanwhile). */
  private async waitForSlot(endpoint: string): Promise<void> {
    for (;;) {
      if (await this.sleptThroughBlock(endpoint)) continue;
      const now = this.clock.now();
      const endpointSlot = Math.max(now, this.nextEndpointSlot.get(endpoint) ?? 0);
      const slot = this.reserveAccountSlot(endpointSlot, spacingMs(this.limits.perSecond * this.accountShare), now);
      this.nextEndpointSlot.set(endpoint, slot + spacingMs(this.limits.perEndpointPerSecond));
      if (slot > now) await this.clock.sleep(slot - now);
      return;
    }
  }

  /** Reserves the earliest time from `earliest` on that is at least `spacing` away from every other reservation. */
  private reserveAccountSlot(earliest: number, spacing: number, now: number): number {
    while ((this.accountSlots[0] ?? Infinity) <= now - spacing) this.accountSlots.shift();
    let slot = earliest;
    let index = 0;
    for (; index < this.accountSlots.length; index++) {
      const taken = this.accountSlots[index] as number;
      if (taken >= slot + spacing) break;
      if (taken > slot - spacing) slot = taken + spacing;
    }
    this.accountSlots.splice(index, 0, slot);
    return slot;
  }

  private block(endpoint: string, limited: RateLimitedAnswer): void {
    const failures = this.consecutive429.get(endpoint) ?? 0;
    this.consecutive429.set(endpoint, failures + 1);
    const backoff = this.clock.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** failures);
    const until = this.clock.now() + (limited.retryAfterMs ?? backoff);
    if (limited.reason === 'endpoint-rate' || limited.reason === 'endpoint-concurrency') {
      this.endpointBlockedUntil.set(endpoint, Math.max(this.endpointBlockedUntil.get(endpoint) ?? 0, until));
    } else {
      this.accountBlockedUntil = Math.max(this.accountBlockedUntil, until);
      this.accountShare = Math.max(MIN_ACCOUNT_SHARE, this.accountShare / 2);
    }
  }
}

/** Time between two requests at `perSecond`, rounded up to 0.1 ms so that float sums never fit one more in a second. */
function spacingMs(perSecond: number): number {
  return Math.ceil(10_000 / perSecond) / 10;
}

/**
 * One pacer per Stripe account (and mode), created on first use. The worker creates one StripePacers and hands it to
 * every activity, so all of them share each account's budget.
 */
export class StripePacers {
  private readonly pacers = new Map<string, StripeAccountPacer>();

  /** `budget`: shared with every other process (workers, API); absent, the limits hold within this process only. */
  constructor(
    private readonly clock: PacerClock = systemClock,
    private readonly budget?: SharedStripeBudget,
  ) {}

  for(accountId: string, livemode: boolean): StripeAccountPacer {
    const key = `${accountId}:${livemode ? 'live' : 'test'}`;
    let pacer = this.pacers.get(key);
    if (!pacer) {
      const shared = this.budget && {
        budget: this.budget,
        account: key,
        limits: livemode ? SHARED_LIVE_LIMITS : SHARED_TEST_LIMITS,
      };
      pacer = new StripeAccountPacer(livemode ? LIVE_LIMITS : TEST_LIMITS, this.clock, shared);
      this.pacers.set(key, pacer);
    }
    return pacer;
  }
}

/**
 * The endpoint a request counts against: its method and path with object ids replaced (`GET /v1/customers/{id}`);
 * Stripe counts `GET /v1/customers/cus_1` and `GET /v1/customers/cus_2` as one endpoint.
 */
export function stripeEndpoint(method: string, path: string): string {
  const [pathname = ''] = path.split('?');
  // Resource names are lower-case words; Stripe's object ids carry capitals or digits (`cus_NffrFeUfNV2Hib`).
  const segments = pathname
    .split('/')
    .map((segment, index) => (index > 1 && /[A-Z0-9]/.test(segment) ? '{id}' : segment));
  return `${method.toUpperCase()} ${segments.join('/')}`;
}

/** `Retry-After` in seconds (the only form Stripe would send) as milliseconds; null when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined): number | null {
  const seconds = Number(Array.isArray(value) ? value[0] : value);
  return value !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}
