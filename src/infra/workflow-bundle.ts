import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

/** The workflow entry module (src/workflows/index.ts, or dist/workflows/index.js in the build). */
const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Where `npm run build` writes the workflow bundle: dist/workflow-bundle.js, beside the compiled entry points. Compiled
 * code runs this bundle (no webpack in production: the bundle is built once, with the dev dependencies).
 */
const PREBUILT_BUNDLE = path.join(__dirname, '..', 'workflow-bundle.js');

/**
 * The worker's workflow code: the prebuilt bundle when running compiled (dist), else bundled from source at start (a
 * few seconds, `npm run worker` under tsx), once per process: the source a process runs does not change under it, and
 * a process that creates several workers (the tests: one per stack) would otherwise pay the bundling each time.
 */
export function workerWorkflowBundle(): Promise<{ code: string } | { codePath: string }> {
  if (path.extname(__filename) === '.js') return Promise.resolve({ codePath: PREBUILT_BUNDLE });
  sourceBundle ??= bundleWorkflowsInChildProcess().catch((error: unknown) => {
    sourceBundle = undefined;
    throw error;
  });
  return sourceBundle;
}

let sourceBundle: Promise<{ code: string }> | undefined;

/**
 * The workflow code bundle (webpack over src/workflows), built in a short-lived child process. Bundling in the worker
 * process itself leaves about 100 MB of webpack's memory in its heap for the rest of its life (measured: 170 MB after
 * loading the modules, 271 MB after bundling, after a GC); the child's memory goes back to the system when it exits.
 */
export function bundleWorkflowsInChildProcess(): Promise<{ code: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--stdout'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve({ code: Buffer.concat(chunks).toString('utf8') });
      else reject(new Error(`bundling the workflow code failed (exit ${code})`));
    });
  });
}

async function bundle(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: new DefaultLogger('WARN', (entry) => process.stderr.write(`${entry.level} ${entry.message}\n`)),
  });
  return code;
}

/**
 * The child (`--stdout`): writes the bundle to stdout (webpack's warnings and errors to stderr). `npm run build`
 * (`--prebuilt`, on the compiled code): writes it to dist/workflow-bundle.js.
 */
async function bundleForCommandLine(target: string | undefined): Promise<void> {
  const code = await bundle();
  if (target === '--prebuilt') {
    await writeFile(PREBUILT_BUNDLE, code);
    process.exit(0);
  }
  process.stdout.write(code, () => process.exit(0));
}

if (require.main === module) {
  bundleForCommandLine(process.argv[2]).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
