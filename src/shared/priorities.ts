/**
 * Task-queue priority key (https://docs.temporal.io/develop/task-queue-priority-fairness; lower goes first, a task
 * without one is at the server's default, 3) of an import's tasks, set by the client that starts the import, and of
 * the writes of customers only an import brought, set by the sync workflow: live work (webhook changes, catch-up,
 * support refreshes) stays at the default, ahead of any import backlog. It shapes the sync workflow's commands, so a
 * change goes behind a new patched() id, as for workflows/constants.ts.
 */
export const IMPORT_PRIORITY_KEY = 4;
