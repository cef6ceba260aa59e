/**
 * The mirror of the install's Stripe data, one file per table (customers, subscriptions, charges, catalogue) and one
 * for the reads that join them.
 */
export * from './mirror-customers';
export * from './mirror-subscriptions';
export * from './mirror-charges';
export * from './mirror-catalog';
export * from './mirror-members';
