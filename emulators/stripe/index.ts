export { startStripeEmulator, type StripeEmulator } from './emulator';
export { type LoggedRequest } from './api/router';
export { type StripeEmulatorOptions, type FaultSettings, type RateLimitSetting, defaultPort } from './options';
export { type StripeAdmin } from './admin/admin';
export { type StripeState } from './admin/state';
export type * from './admin/schemas';
export { type DeliveryAttempt, type WebhookOptions } from './webhooks/deliverer';
export { seedCustomers, type SeedOptions, type SeededCustomer } from './seed';
export { type Mode, apiVersion } from './types';
