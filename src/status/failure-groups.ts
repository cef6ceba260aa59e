import type { CustomerFailure } from '../db/failures';
import { UNMAPPABLE_EVENT } from '../db/failures';

/** Customers that could not be written, grouped by why, with what fixes each reason. */
export interface FailureGroup {
  reason: string;
  title: string;
  fix: string;
  count: number;
  customers: CustomerFailure[];
}

interface ReasonRule {
  reason: string;
  matches: (failure: CustomerFailure) => boolean;
  title: string;
  fix: string;
}

const RULES: ReasonRule[] = [
  {
    reason: 'invalid_email',
    matches: (failure) => /not a valid email/i.test(failure.reason),
    title: 'Intercom refuses the email address',
    fix: "Correct the customer's email in Stripe: the customer is written on its next change, or press Resync.",
  },
  {
    reason: 'value_too_long',
    matches: (failure) => /longer than|too long/i.test(failure.reason),
    title: 'A value is longer than Intercom allows (255 characters)',
    fix: 'Shorten it in Stripe (plan nickname, product name or metadata), then press Resync.',
  },
  {
    reason: 'unmappable_event',
    matches: (failure) => failure.code === UNMAPPABLE_EVENT,
    title: 'A Stripe event this service cannot read',
    fix: "The customer's attributes are still current; only that event's timeline entry is missing. Tell whoever runs this service.",
  },
  {
    reason: 'unmappable_data',
    matches: (failure) => failure.code === 'unmappable_stripe_data',
    title: 'Stripe data this service cannot map',
    fix: 'Tell whoever runs this service (the reason says which value); press Resync once it is fixed.',
  },
  {
    reason: 'unexpected_error',
    matches: (failure) => failure.code === 'unexpected_error',
    title: 'An unexpected error in this service',
    fix: 'Tell whoever runs this service; press Resync once it is fixed.',
  },
];

const OTHER: Omit<ReasonRule, 'matches'> = {
  reason: 'intercom_refused',
  title: 'Intercom refused the contact',
  fix: 'Read the reason next to each customer, correct the data in Stripe, then press Resync.',
};

export function groupFailures(failures: CustomerFailure[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const failure of failures) {
    const rule = RULES.find((candidate) => candidate.matches(failure)) ?? OTHER;
    const group = groups.get(rule.reason) ?? {
      reason: rule.reason,
      title: rule.title,
      fix: rule.fix,
      count: 0,
      customers: [],
    };
    group.count += 1;
    group.customers.push(failure);
    groups.set(rule.reason, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/** A spreadsheet-safe CSV cell: quoted, and a leading =, +, - or @ defused so no formula runs. */
function cell(value: string | number): string {
  const text = String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function failuresCsv(groups: FailureGroup[]): string {
  const lines = [['stripe_customer', 'reason', 'detail', 'attempts', 'last_tried_utc', 'fix'].map(cell).join(',')];
  for (const group of groups) {
    for (const failure of group.customers) {
      lines.push(
        [
          failure.customerId,
          group.title,
          failure.reason,
          failure.attempts,
          failure.lastFailedAt.toISOString(),
          group.fix,
        ]
          .map(cell)
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
