/**
 * What test support started (servers, databases) registers its cleanup here; hooks.ts runs it once after the whole
 * run. Kept free of imports so loading the hooks costs nothing in runs that start no servers.
 */
const teardowns: (() => Promise<void>)[] = [];

export function registerTeardown(teardown: () => Promise<void>): void {
  teardowns.push(teardown);
}

/** Last registered, first run: a database is dropped before the server it lives on stops. */
export async function runTeardowns(): Promise<void> {
  const failures: unknown[] = [];
  for (const teardown of teardowns.splice(0).reverse()) {
    await teardown().catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) throw new AggregateError(failures, 'test teardown failed');
}
