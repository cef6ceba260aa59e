import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { constants } from 'node:fs';
import { access, chmod, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporalUiUrl, type Config } from '../config';
import type { Logger } from '../logger';
import { hasExited, run, stopChild, tailBuffer } from './child-process';
import { pollUntil } from '../infra/timing';
import { ensureSearchAttributes, isTemporalReachable, searchAttributeCliArgs, splitHostPort } from '../infra/temporal';

/** Newer tags have a `replace` directive in their go.mod, and Go refuses to `go install` such a module. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** Where a CLI we build is kept between runs and checkouts. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'stripe-intercom-sync', 'bin');
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Go's own installer puts it in /usr/local/go/bin (its GOROOT), which a fresh shell may not have on PATH. */
async function findGo(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const inGoRoot = path.join(env.GOROOT || '/usr/local/go', 'bin', 'go');
  return (await findOnPath('go', env)) ?? ((await isExecutable(inGoRoot)) ? inGoRoot : undefined);
}

export interface BuildProgressOptions {
  /** Where the build's plain-language progress lines go (the demo's stderr); default: info log lines. */
  say?: (line: string) => void;
  progressEveryMs?: number;
}

/** `5 min 23 s`, `45 s`. */
function elapsed(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/**
 * The Temporal CLI to run the dev server with: TEMPORAL_CLI_PATH, else `temporal` on PATH, else the one we built
 * before, else one built now with `go install`. Machines here are offline except for the Go module proxy, so the
 * SDK's download (TestWorkflowEnvironment.createLocal) is not an option; without Go we say what would work.
 */
export async function findTemporalCli(
  config: Pick<Config, 'TEMPORAL_CLI_PATH'>,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
  options: BuildProgressOptions = {},
): Promise<string> {
  if (config.TEMPORAL_CLI_PATH !== undefined) {
    if (await isExecutable(config.TEMPORAL_CLI_PATH)) return config.TEMPORAL_CLI_PATH;
    throw new Error(`TEMPORAL_CLI_PATH: ${config.TEMPORAL_CLI_PATH} is not an executable file`);
  }
  const onPath = await findOnPath('temporal', env);
  if (onPath !== undefined) return onPath;

  const cacheDir = temporalCliCacheDir(env);
  const cached = path.join(cacheDir, 'temporal');
  if (await isExecutable(cached)) return cached;

  const go = await findGo(env);
  if (go === undefined) {
    throw new Error(
      'no Temporal CLI found and no Go toolchain to build one. Either: run a Temporal server and set TEMPORAL_ADDRESS; ' +
        'install the CLI (https://docs.temporal.io/cli) on PATH or set TEMPORAL_CLI_PATH; ' +
        `or install Go so \`go install ${TEMPORAL_CLI_MODULE}\` can build it into ${cacheDir}`,
    );
  }
  // A person waits here for minutes on a fresh machine: say what is happening, why, and that it is still going.
  const say = options.say ?? ((line: string) => logger.info({ cacheDir }, line));
  say(
    `building the Temporal CLI (go install ${TEMPORAL_CLI_MODULE}): it runs the local Temporal server; ` +
      `about 5 minutes, once (kept in ${cacheDir})`,
  );
  const started = Date.now();
  const ticker = setInterval(
    () => say(`still building the Temporal CLI: ${elapsed(Date.now() - started)} so far`),
    options.progressEveryMs ?? 15_000,
  );
  let result;
  try {
    await mkdir(cacheDir, { recursive: true });
    result = await run(go, ['install', TEMPORAL_CLI_MODULE], { env: { ...env, GOBIN: cacheDir } });
  } finally {
    clearInterval(ticker);
  }
  if (result.code !== 0 || !(await isExecutable(cached))) {
    throw new Error(`go install ${TEMPORAL_CLI_MODULE} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
  say(`built the Temporal CLI in ${elapsed(Date.now() - started)}: ${cached}`);
  return cached;
}

export interface DevServerOptions {
  cliPath: string;
  /** The SQLite file lives here, so workflows survive restarts. */
  dataDir: string;
  /** host:port of the gRPC frontend. */
  address: string;
  uiPort: number;
  namespace: string;
  logger: Logger;
  /** No Web UI (tests). */
  headless?: boolean;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  /** Stops the server (SIGTERM, then SIGKILL if it lingers) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` and resolves once `namespace` answers. */
export async function startTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  const { cliPath, dataDir, address, uiPort, namespace, logger } = options;
  const { host, port } = splitHostPort(address);
  // Workflow histories hold install ids, customer ids and preview emails: only this user may read them (issue 16).
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const args = [
    'server',
    'start-dev',
    ...['--db-filename', path.join(dataDir, 'temporal.db')],
    // SQLite's defaults (a rollback journal, synced in full) lock the whole file for every commit, readers included,
    // and the server commits for every workflow task and activity: in `bench:fleet -- --quick` workflow tasks waited
    // 84–86 ms to start and the server used 12–18 s of CPU; 21–33 ms and 7–10 s with a write-ahead log. A WAL synced
    // at checkpoints survives the server process crashing; only an OS crash can lose the last commits, which a dev
    // server may (https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html#pragma_synchronous).
    ...['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'],
    ...['--ip', host, '--port', String(port)],
    ...(options.headless ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...['--namespace', namespace],
    ...searchAttributeCliArgs(),
    // Task queue fairness: installs take turns in a backlog (src/temporal-client/workflows.ts, syncPriority).
    ...['--dynamic-config-value', 'matching.enableFairness=true'],
    // Eager activity dispatch: an activity a workflow task schedules goes back to that worker with the task's answer
    // when it has a free slot, instead of through the server's queues (docs/scale.md). Both settings are also in
    // deploy/temporal-dynamic-config.yaml, for a server of one's own.
    ...['--dynamic-config-value', 'system.enableActivityEagerExecution=true'],
    ...['--log-level', 'warn', '--log-format', 'json'],
  ];
  logger.info({ address, dataDir }, 'starting the Temporal dev server');
  // Own process group: a Ctrl-C in the terminal reaches only us, so we stop the server after the worker has drained.
  const child = spawn(cliPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = tailBuffer();
  let stopping = false;
  const log = logger.child({ component: 'temporal-dev-server' });
  const forward = (line: string) => {
    if (line.trim() === '') return;
    output.push(line);
    const entry = parseJsonLine(line);
    // Its pollers complain while it shuts down; that is expected, not a warning.
    const level = stopping ? 'debug' : entry?.level === 'ERROR' ? 'error' : entry?.level === 'WARN' ? 'warn' : 'debug';
    log[level]({ server: entry }, entry?.msg ?? line);
  };
  createInterface({ input: child.stdout }).on('line', forward);
  createInterface({ input: child.stderr }).on('line', forward);
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));
  // Exiting without stop() (a crash, a test runner's process.exit) must not leave a server behind holding the port.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const stop = async () => {
    stopping = true;
    process.off('exit', killOnExit);
    await stopChild(child);
  };

  try {
    await pollUntil(`the Temporal dev server on ${address}`, () => isTemporalReachable(address, namespace, 1_000), {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      abortReason: () =>
        spawnError?.message ?? (hasExited(child) ? `it exited (${child.exitCode ?? child.signalCode})` : undefined),
    });
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output.text()}`);
  }
  return { address, stop };
}

function parseJsonLine(line: string): { level?: string; msg?: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as { level?: string; msg?: string };
  } catch {
    return undefined;
  }
}

export interface TemporalServer {
  address: string;
  /** The Web UI, when known. */
  uiUrl?: string;
  /** False when we reused a server that was already running. */
  started: boolean;
  /** Stops the dev server if we started it; a no-op for a server we reused. */
  stop(): Promise<void>;
}

/**
 * A Temporal server with our search attributes on TEMPORAL_ADDRESS: the one answering there, else a dev server we
 * start with its SQLite file under DATA_DIR/temporal (so workflows survive restarts).
 */
export async function ensureTemporalServer(
  config: Pick<
    Config,
    | 'TEMPORAL_ADDRESS'
    | 'TEMPORAL_NAMESPACE'
    | 'TEMPORAL_CLI_PATH'
    | 'TEMPORAL_UI_PORT'
    | 'TEMPORAL_UI_URL'
    | 'DATA_DIR'
  >,
  logger: Logger,
  options: { headless?: boolean } = {},
): Promise<TemporalServer> {
  const address = config.TEMPORAL_ADDRESS;
  const namespace = config.TEMPORAL_NAMESPACE;
  if (await isTemporalReachable(address, namespace)) {
    logger.info({ address, namespace }, 'using the Temporal server already running');
    const connection = await Connection.connect({ address });
    try {
      await ensureSearchAttributes(connection, namespace, logger);
    } finally {
      await connection.close();
    }
    return { address, uiUrl: temporalUiUrl(config), started: false, stop: async () => undefined };
  }
  const cliPath = await findTemporalCli(config, logger);
  const server = await startTemporalDevServer({
    cliPath,
    dataDir: path.join(config.DATA_DIR, 'temporal'),
    address,
    uiPort: config.TEMPORAL_UI_PORT,
    namespace,
    logger,
    headless: options.headless,
  });
  return { ...server, started: true, uiUrl: options.headless ? undefined : temporalUiUrl(config) };
}
