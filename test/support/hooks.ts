import { replayRunHistories } from './replay-run';
import { runTeardowns } from './teardown';
import { sharedTemporal } from './temporal';

/** Registered in .mocharc.json `require`: root hooks and the global teardown of every test run. */
export const mochaHooks = {
  /**
   * After the last suite, while the servers still run: every workflow run the suites started replays on the current
   * code (replay-run.ts). Runs that started no Temporal server skip it.
   */
  async afterAll(this: Mocha.Context): Promise<void> {
    const temporal = sharedTemporal();
    if (!temporal) return;
    this.timeout(600_000);
    const started = Date.now();
    const { replayed, failures } = await replayRunHistories(await temporal);
    console.log(`replayed the ${replayed} workflow runs of this test run in ${Date.now() - started} ms`);
    if (failures.length > 0) {
      throw new Error(
        `${failures.length} of ${replayed} workflow runs of this test run do not replay:\n${failures.join('\n')}`,
      );
    }
  },
};

/** Stops what test support started, once, after every suite has run. */
export async function mochaGlobalTeardown(): Promise<void> {
  await runTeardowns();
}
