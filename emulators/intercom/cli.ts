/**
 * Runs the Intercom emulator as its own process: `tsx emulators/intercom/cli.ts [--port 12112] [--token T]`.
 * With --token and/or --workspace a workspace is created up front, so a demo can be configured before it starts;
 * otherwise create workspaces with `POST /_emulator/workspaces`.
 */
import { z } from 'zod';
import { parseCliArgs, runEmulatorCli } from '../cli-support';
import { DEFAULT_INTERCOM_EMULATOR_PORT, startIntercomEmulator } from './index';

const number = z.coerce.number().finite().min(0);

const argsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_INTERCOM_EMULATOR_PORT),
  host: z.string().default('127.0.0.1'),
  'search-lag-ms': number.optional(),
  'rate-limit-per-minute': z.coerce.number().int().min(0).optional(),
  'latency-ms': number.optional(),
  'failure-rate': z.coerce.number().min(0).max(1).optional(),
  workspace: z.string().optional(),
  token: z.string().min(8).optional(),
});

async function main() {
  const args = parseCliArgs(argsSchema);
  const emulator = await startIntercomEmulator({
    port: args.port,
    host: args.host,
    searchLagMs: args['search-lag-ms'],
    rateLimitPerMinute: args['rate-limit-per-minute'],
    latencyMs: args['latency-ms'],
    failureRate: args['failure-rate'],
  });
  const credentials =
    args.workspace !== undefined || args.token !== undefined
      ? emulator.createWorkspace({ id: args.workspace, token: args.token })
      : undefined;
  console.log(JSON.stringify({ intercomEmulator: emulator.url, ...credentials }));
  return emulator;
}

runEmulatorCli(main);
