import { parseArgs } from 'node:util';
import type { z } from 'zod';

/** `--name value` options of an emulator CLI, one per key of `schema`, validated by it (unknown options fail). */
export function parseCliArgs<T extends z.ZodObject>(schema: T): z.infer<T> {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(schema.shape).map((name) => [name, { type: 'string' as const }])),
  });
  return schema.parse(values);
}

/** Runs an emulator CLI's `start`: a failure is printed with exit 1; SIGINT/SIGTERM close the emulator, then exit 0. */
export function runEmulatorCli(start: () => Promise<{ close(): Promise<void> }>): void {
  start().then(
    (emulator) => {
      const stop = () => void emulator.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
