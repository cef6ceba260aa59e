/**
 * Runs the Stripe emulator as its own process: `tsx emulators/stripe/cli.ts [--port 12111] [--customers N]`.
 * A fixed `--seed` (default 42) keeps the account id and API keys the same across restarts, so a demo can
 * be configured once. Prints the URL and keys as one JSON line.
 */
import { z } from 'zod';
import { parseCliArgs, runEmulatorCli } from '../cli-support';
import { defaultPort, seedCustomers, startStripeEmulator } from './index';

const argsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(defaultPort),
  host: z.string().default('127.0.0.1'),
  seed: z.coerce.number().int().default(42),
  customers: z.coerce.number().int().min(0).default(0),
  'rate-limit-per-second': z.coerce.number().int().min(0).optional(),
  'latency-ms': z.coerce.number().min(0).optional(),
  'failure-rate': z.coerce.number().min(0).max(1).optional(),
  'webhook-retry-delay-ms': z.coerce.number().int().min(0).optional(),
  'webhook-max-attempts': z.coerce.number().int().min(1).optional(),
});

async function main() {
  const args = parseCliArgs(argsSchema);
  const emulator = await startStripeEmulator({
    port: args.port,
    host: args.host,
    seed: args.seed,
    rateLimitPerSecond: args['rate-limit-per-second'],
    // A service run by hand against the emulator receives on a local URL, which real Stripe would refuse.
    allowLocalWebhookUrls: true,
    latencyMs: args['latency-ms'],
    failureRate: args['failure-rate'],
    webhook: {
      ...(args['webhook-retry-delay-ms'] === undefined ? {} : { retryDelayMs: args['webhook-retry-delay-ms'] }),
      ...(args['webhook-max-attempts'] === undefined ? {} : { maxAttempts: args['webhook-max-attempts'] }),
    },
  });
  if (args.customers > 0) seedCustomers(emulator, { customers: args.customers, seed: args.seed });
  console.log(
    JSON.stringify({
      stripeEmulator: emulator.url,
      accountId: emulator.accountId,
      keys: emulator.keys,
      seededCustomers: args.customers,
    }),
  );
  return emulator;
}

runEmulatorCli(main);
