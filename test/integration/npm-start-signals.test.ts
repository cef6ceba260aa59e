import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { hasExited, waitForExit } from '../../src/dev/child-process';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { randomSuffix } from '../support/config';
import { eventually } from '../support/stack';
import { ensureTemporal } from '../support/temporal';

const repoRoot = path.resolve(__dirname, '../..');

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Started {
  npm: ChildProcess;
  /** The node process that runs src/main.ts (npm's child, or grandchild were a shell left between them). */
  servicePid: number;
  stoppedComponents: string[];
}

/**
 * Issue 10 row 11: `npm start` is a chain of processes (npm → node); SIGTERM to any of them stops the service
 * cleanly, and killing npm outright does not leave the service running orphaned.
 */
describe('npm start: signals reach the service whichever process receives them', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  const children: Array<{ npm: ChildProcess; servicePid?: number }> = [];

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    for (const { npm, servicePid } of children) {
      if (!hasExited(npm)) npm.kill('SIGKILL');
      if (servicePid !== undefined && isRunning(servicePid)) process.kill(servicePid, 'SIGKILL');
    }
    await db?.drop();
  });

  async function startNpm(): Promise<Started> {
    const temporal = await ensureTemporal();
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: db.connectionString,
        DATA_DIR: path.join(tmpdir(), `sis-test-signals-${randomSuffix()}`),
        PORT: '0',
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        TEMPORAL_TASK_QUEUE: `test-signals-${randomSuffix()}`,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const entry: { npm: ChildProcess; servicePid?: number } = { npm };
    children.push(entry);
    const stoppedComponents: string[] = [];
    const ready = new Promise<number>((resolve, reject) => {
      createInterface({ input: npm.stdout! }).on('line', (text) => {
        if (!text.startsWith('{')) return;
        const line = JSON.parse(text) as { msg: string; pid: number; component?: string };
        if (line.msg.startsWith('ready:')) resolve(line.pid);
        if (line.msg === 'stopped' && line.component) stoppedComponents.push(line.component);
      });
      npm.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready`)));
    });
    entry.servicePid = await ready;
    return { npm, servicePid: entry.servicePid, stoppedComponents };
  }

  it('SIGTERM to npm: the service drains and stops, npm exits 0', async () => {
    const { npm, servicePid, stoppedComponents } = await startNpm();
    const exited = waitForExit(npm);
    npm.kill('SIGTERM');
    await exited;
    assert.equal(npm.exitCode, 0);
    await eventually(async () => (isRunning(servicePid) ? undefined : true), 30_000, 'the service to exit');
    assert.ok(stoppedComponents.includes('API') && stoppedComponents.includes('worker'), String(stoppedComponents));
  });

  it('SIGTERM to the service process: it stops cleanly and npm exits 0', async () => {
    const { npm, servicePid, stoppedComponents } = await startNpm();
    assert.notEqual(servicePid, npm.pid);
    const exited = waitForExit(npm);
    process.kill(servicePid, 'SIGTERM');
    await exited;
    assert.equal(npm.exitCode, 0);
    assert.equal(isRunning(servicePid), false);
    assert.ok(stoppedComponents.includes('API') && stoppedComponents.includes('worker'), String(stoppedComponents));
  });

  it('npm killed outright (SIGKILL): the orphaned service notices and stops', async () => {
    const { npm, servicePid } = await startNpm();
    npm.kill('SIGKILL');
    await waitForExit(npm);
    await eventually(async () => (isRunning(servicePid) ? undefined : true), 30_000, 'the orphaned service to exit');
  });
});
