import { runTeardowns } from './teardown';

/** Registered in .mocharc.json `require`: stops what test support started, once, after every suite has run. */
export async function mochaGlobalTeardown(): Promise<void> {
  await runTeardowns();
}
