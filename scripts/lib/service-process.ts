import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Config } from '../../src/config';
import { stopChild } from '../../src/dev/child-process';
import { pollUntil } from '../../src/infra/timing';
import { configEnv } from './environment';

const root = path.resolve(__dirname, '..', '..');

export interface ServiceProcess {
  url: string;
  pid: number;
  /** SIGTERM (a clean shutdown: API, worker drain, PostgreSQL) and its exit code. */
  stop(): Promise<number | null>;
}

/**
 * The service as `npm start` runs it (src/main.ts, API and worker in one process), as a child process configured
 * through its environment, so its memory and CPU are its own and not the emulators'. Its log lines go to our stderr.
 */
export async function startServiceProcess(
  config: Config,
  options: {
    logLevel: string;
    /** Extra node flags (`--cpu-prof`). */
    nodeArgs?: string[];
    /** What to run: src/main.ts (API and worker) unless told (src/worker.ts, src/api/server.ts). */
    entry?: string;
    /** Answers 200 once it is up: the API's /healthz unless told (a worker's /metrics). */
    readyUrl?: string;
    /** Prefix of its log lines on our stderr. */
    name?: string;
  },
): Promise<ServiceProcess> {
  // As `npm start` runs it: bin/service-node's memory settings, with the bench's own node flags.
  const child: ChildProcess = spawn(
    'sh',
    [path.join('bin', 'service-node'), ...(options.nodeArgs ?? []), options.entry ?? 'src/main.ts'],
    {
      cwd: root,
      env: { ...process.env, ...configEnv(config), LOG_LEVEL: options.logLevel },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop it with one SIGTERM.
      detached: true,
    },
  );
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  for (const stream of [child.stdout, child.stderr]) {
    if (stream)
      createInterface({ input: stream }).on('line', (line) =>
        process.stderr.write(`[${options.name ?? 'service'}] ${line}\n`),
      );
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const url = `http://127.0.0.1:${config.PORT}`;
  const readyUrl = options.readyUrl ?? `${url}/healthz`;
  try {
    await pollUntil(
      `the service on ${readyUrl}`,
      async () => (await fetch(readyUrl).catch(() => undefined))?.status === 200,
      {
        timeoutMs: 180_000,
        intervalMs: 500,
        abortReason: () => (exitCode === undefined ? undefined : `it exited with ${exitCode}`),
      },
    );
  } catch (error) {
    process.off('exit', killOnExit);
    await stopChild(child);
    throw error;
  }
  const pid = child.pid as number;
  return {
    url,
    pid,
    async stop() {
      process.off('exit', killOnExit);
      await stopChild(child, 'SIGTERM', 60_000);
      return exited;
    },
  };
}
