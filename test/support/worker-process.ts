import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Config } from '../../src/config';
import { eventually } from './stack';
import { registerTeardown } from './teardown';

const repoRoot = path.resolve(__dirname, '../..');

/** Temporal's `TaskQueueType`: workflow and activity pollers are listed separately. */
export const TASK_QUEUE_TYPES = { workflow: 1, activity: 2 } as const;

export interface WorkerProcess {
  pid: number;
  /** The last lines the worker printed (stdout and stderr), for failure messages. */
  output(): string;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * `npm run worker` as its own process (so a test can SIGKILL it), configured like the in-process service of the
 * stack: this checkout's, or that of the source tree at `root` (a release, test/support/releases.ts). Resolves once
 * the worker polls the task queues its `tasks` (WORKER_TASKS, `all` unless given) ask for.
 */
export async function startWorkerProcess(options: {
  config: Config;
  temporal: Client;
  root?: string;
  tasks?: Config['WORKER_TASKS'];
}): Promise<WorkerProcess> {
  const { config } = options;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: config.DATABASE_URL,
    DATA_DIR: config.DATA_DIR,
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
    TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
    STRIPE_API_BASE: config.STRIPE_API_BASE,
    INTERCOM_API_BASE: config.INTERCOM_API_BASE,
    ENCRYPTION_KEY: config.ENCRYPTION_KEY,
    ADMIN_TOKEN: config.ADMIN_TOKEN,
    PUBLIC_URL: config.PUBLIC_URL,
    ALLOW_TEST_MODE: String(config.ALLOW_TEST_MODE),
    LOG_LEVEL: 'warn',
    // Set only when asked: a release's worker (root) predates the variable.
    ...(options.tasks ? { WORKER_TASKS: options.tasks } : {}),
  };
  const polled = pollerTypes(options.tasks ?? 'all');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: options.root ?? repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('the worker process did not start');
  const pid = child.pid;
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals) => {
    if (!hasExited(child)) child.kill(signal);
    await exited;
  };
  // Should the test fail before its own cleanup, the process must not outlive the run.
  registerTeardown(() => kill('SIGKILL'));

  try {
    await eventually(
      async () => {
        if (hasExited(child)) throw new Error(`the worker exited early (${child.exitCode}):\n${output}`);
        const polling = await Promise.all(
          polled.map((taskQueueType) => pollsTaskQueue(options.temporal, config, pid, taskQueueType)),
        );
        return polling.every(Boolean) ? true : undefined;
      },
      120_000,
      'the worker process to poll its task queue',
    );
  } catch (err) {
    await kill('SIGKILL');
    throw new Error(`${(err as Error).message}\nworker output:\n${output}`);
  }
  return { pid, output: () => output, kill };
}

/** The task queue types a worker with these WORKER_TASKS polls. */
function pollerTypes(tasks: Config['WORKER_TASKS']): number[] {
  if (tasks === 'workflows') return [TASK_QUEUE_TYPES.workflow];
  if (tasks === 'activities') return [TASK_QUEUE_TYPES.activity];
  return Object.values(TASK_QUEUE_TYPES);
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Whether the process `pid` polls the stack's task queue of this type (`TASK_QUEUE_TYPES`): a poller whose identity
 * (the SDK's default is `<pid>@<host>`) is its own is listed.
 */
export async function pollsTaskQueue(
  temporal: Client,
  config: Config,
  pid: number,
  taskQueueType: number,
): Promise<boolean> {
  const response = await temporal.workflowService.describeTaskQueue({
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
    taskQueueType,
  });
  return (response.pollers ?? []).some((poller) => poller.identity?.startsWith(`${pid}@`));
}
