import { parseArgs } from 'node:util';
import type { z } from 'zod';

/** `--name value` options of an emulator CLI, one per key of `schema`, validated by it (unknown options fail). */
export function parseCliArgs<T extends z.ZodObject>(schema: T): z.infer<T> {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(schema.shape).map((name) => [name, { type: 'string' as const }])),
  });
  return schema.parse(values);
}
