import type Stripe from 'stripe';

type Recurrence = Pick<Stripe.Price.Recurring, 'interval' | 'interval_count'>;

/**
 * Factor turning an amount billed once per `interval_count` × `interval` into a monthly amount:
 * - day:   × 365/12 (30.4167 days in an average month) ÷ interval_count
 * - week:  × 52/12 (4.3333 weeks in an average month) ÷ interval_count
 * - month: ÷ interval_count
 * - year:  ÷ 12 ÷ interval_count
 * An interval Stripe adds later yields 0, so unknown billing never inflates MRR.
 */
export function monthlyFactor(recurrence: Recurrence): number {
  const count = recurrence.interval_count > 0 ? recurrence.interval_count : 1;
  switch (recurrence.interval) {
    case 'day':
      return 365 / 12 / count;
    case 'week':
      return 52 / 12 / count;
    case 'month':
      return 1 / count;
    case 'year':
      return 1 / 12 / count;
    default:
      return 0;
  }
}

/** `month`, `year`, `week`, `day` for a single interval; `3 months`, `2 weeks`, … otherwise. */
export function intervalLabel(recurrence: Recurrence): string {
  const count = recurrence.interval_count > 0 ? recurrence.interval_count : 1;
  return count === 1 ? recurrence.interval : `${count} ${recurrence.interval}s`;
}
