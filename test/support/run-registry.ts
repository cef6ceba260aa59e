/**
 * What this test run created on the shared Temporal server, for the replay at its end (replay-run.ts). Free of
 * imports, like teardown.ts, so that recording costs nothing in runs that start no servers.
 */
export const runStartedAt = new Date();

/** Task queues of this run's test configs (testConfig): other runs sharing the server use others. */
export const runTaskQueues = new Set<string>();
