/** Live and test data are separate data sets of the same account; the API key decides which one a request sees. */
export type Mode = 'live' | 'test';

export const modes: readonly Mode[] = ['live', 'test'];

/** Stripe's API version this emulator speaks (the one stripe-node 23.1.0 pins). */
export const apiVersion = '2026-10-28.endive';
