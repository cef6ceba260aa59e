export { startStripeEmulator, type StripeEmulator } from './emulator';
export { type StripeEmulatorOptions, defaultPort } from './options';
export { type StripeAdmin } from './admin/admin';
export { type StripeState } from './admin/state';
export type * from './admin/schemas';
export { type DeliveryAttempt } from './webhooks/deliverer';
export { seedCustomers, type SeedOptions, type SeededCustomer } from './seed';
