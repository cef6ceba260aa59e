// What the live-sync acceptance tests share, one file per job: installing and waiting (live-install), the test's own
// account of customers and contacts (customer-book), random Stripe mutations on the emulator's seeder
// (stripe-mutator), and the Intercom state the Stripe state implies with the assertions on it (live-oracle).
export { Random } from '../../emulators/stripe/random';
export * from './live-install';
export * from './customer-book';
export * from './stripe-mutator';
export * from './live-oracle';
