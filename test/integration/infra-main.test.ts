import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../src/dev/ports';
import { ensureTemporal } from '../support/temporal';

interface LogLine {
  msg: string;
  api?: string;
  component?: string;
}

/** The JSON log lines of a child process, kept and announced as they arrive. */
function collectLogLines(child: ChildProcess) {
  const lines: LogLine[] = [];
  const arrived = new EventEmitter();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    if (!text.startsWith('{')) return;
    const line = JSON.parse(text) as LogLine;
    lines.push(line);
    arrived.emit('line', line);
  });
  const waitFor = (predicate: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      const found = lines.find(predicate);
      if (found) return resolve(found);
      const onLine = (line: LogLine) => predicate(line) && resolve(line);
      arrived.on('line', onLine);
      child.once('exit', (code) => reject(new Error(`exited (${code}) before the expected log line`)));
    });
  return { lines, waitFor };
}

/** `npm start` end to end: it reuses the Temporal server test support provides, and embeds Postgres. */
describe('npm start (src/main.ts)', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sis-main-'));
    // As root the embedded server runs as the postgres user, which must get through the (private) temp dir.
    await chmod(dir, 0o755);
  });
  after(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('starts, reports healthy, and on SIGTERM stops what it started in reverse order, exiting 0', async () => {
    const temporal = await ensureTemporal();
    const env = {
      ...process.env,
      DATABASE_URL: '',
      DATA_DIR: path.join(dir, 'data'),
      PORT: String(await freePort()),
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_TASK_QUEUE: `test-main-${process.pid}`,
      LOG_LEVEL: 'info',
    };
    const cwd = path.resolve(__dirname, '../..');
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const log = collectLogLines(child);

    const ready = await log.waitFor((line) => line.msg.startsWith('ready:'));
    const response = await fetch(`${ready.api}/healthz`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { status: string }).status, 'ok');

    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const stopped = log.lines.filter((line) => line.msg === 'stopped').map((line) => line.component);
    assert.deepEqual(stopped, [
      'API',
      'event retention',
      'worker',
      'postgres pool (sis-worker-locks)',
      'postgres pool (sis-worker)',
      'temporal worker connection',
      'temporal client connection',
      'postgres pool (sis-api)',
      'embedded PostgreSQL',
    ]);
  });
});
