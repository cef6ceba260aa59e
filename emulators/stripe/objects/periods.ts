import type Stripe from 'stripe';

const day = 86_400;

export interface Interval {
  interval: Stripe.Price.Recurring.Interval;
  count: number;
}

/**
 * The `n`th period boundary after `anchor`. Months are counted from the anchor each time, clamping to the
 * month's last day the way Stripe bills a Jan 31 anchor on Feb 28 and again on Mar 31.
 */
export function boundary(anchor: number, { interval, count }: Interval, n: number): number {
  if (interval === 'day') return anchor + n * count * day;
  if (interval === 'week') return anchor + n * count * 7 * day;
  const months = n * count * (interval === 'year' ? 12 : 1);
  const start = new Date(anchor * 1000);
  const target = new Date(start);
  target.setUTCDate(1);
  target.setUTCMonth(start.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(start.getUTCDate(), lastDay));
  return Math.floor(target.getTime() / 1000);
}

/** The billing period `[start, end)` containing `at`; the first period when `at` precedes the anchor. */
export function periodAt(anchor: number, interval: Interval, at: number): { start: number; end: number } {
  const approx = boundary(0, interval, 1) - boundary(0, interval, 0);
  let n = Math.max(0, Math.floor((at - anchor) / approx));
  while (n > 0 && boundary(anchor, interval, n) > at) n--;
  while (boundary(anchor, interval, n + 1) <= at) n++;
  return { start: boundary(anchor, interval, n), end: boundary(anchor, interval, n + 1) };
}
