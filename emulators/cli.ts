/**
 * `npm run emulators`: starts every emulator's own CLI (`emulators/<name>/cli.ts`) as a child process with
 * its default port and settings, and stops them together. Each prints its URL and credentials.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const entries = readdirSync(__dirname, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(__dirname, entry.name, 'cli.ts'))
  .filter((path) => existsSync(path));

const children: ChildProcess[] = entries.map((path) =>
  spawn(process.execPath, ['--import', 'tsx', path], { stdio: 'inherit' }),
);

// One emulator exiting (or failing to start) takes the others down, so a half-started demo is obvious.
for (const child of children) {
  child.once('exit', (code) => {
    for (const other of children) if (other !== child && other.exitCode === null) other.kill('SIGTERM');
    process.exitCode = code ?? 1;
  });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill(signal);
  });
}
