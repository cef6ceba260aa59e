import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { hasExited, run, stopChild, tailBuffer } from './child-process';
import { pollUntil } from './poll';
import { isTemporalReachable, searchAttributeCliArgs } from './temporal';

/** Newer tags use a `replace` directive and cannot be `go install`ed (design §6). */
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

/** Go's own installer puts it in /usr/local/go/bin, which a fresh shell may not have on PATH. */
async function findGo(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return (
    (await findOnPath('go', env)) ?? ((await isExecutable('/usr/local/go/bin/go')) ? '/usr/local/go/bin/go' : undefined)
  );
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
  logger.info({ cacheDir }, `building the Temporal CLI with go install ${TEMPORAL_CLI_MODULE}: a few minutes, once`);
  const started = Date.now();
  await mkdir(cacheDir, { recursive: true });
  const result = await run(go, ['install', TEMPORAL_CLI_MODULE], { env: { ...env, GOBIN: cacheDir } });
  if (result.code !== 0 || !(await isExecutable(cached))) {
    throw new Error(`go install ${TEMPORAL_CLI_MODULE} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
  logger.info({ cliPath: cached, seconds: Math.round((Date.now() - started) / 1000) }, 'built the Temporal CLI');
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

function splitAddress(address: string): { host: string; port: string } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: address.slice(at + 1) };
}

/** Starts `temporal server start-dev` and resolves once `namespace` answers. */
export async function startTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  const { cliPath, dataDir, address, uiPort, namespace, logger } = options;
  const { host, port } = splitAddress(address);
  await mkdir(dataDir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    ...['--db-filename', path.join(dataDir, 'temporal.db')],
    ...['--ip', host, '--port', port],
    ...(options.headless ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...['--namespace', namespace],
    ...searchAttributeCliArgs(),
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
    log[level]({ server: entry ?? undefined }, entry?.msg ?? line);
  };
  createInterface({ input: child.stdout }).on('line', forward);
  createInterface({ input: child.stderr }).on('line', forward);
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));
  const stop = async () => {
    stopping = true;
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
