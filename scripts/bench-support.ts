/**
 * `npm run bench:support [-- --customers 2000 --rate 50 --seconds 30]`: the inbox card and Fin's answers under load
 * (issue 22's target: p99 ≤ 200 ms at 50 requests/s, 0 Stripe calls per request). Seeds and imports an account as
 * `npm run demo` does, then sends `rate` requests per second for `seconds`, open loop (a request every 1/rate s
 * whatever the answers' latency), alternating a signed Canvas Kit initialize for a random linked contact and a Fin
 * lookup by a random customer's email. Prints one JSON line (latency percentiles per endpoint, errors, Stripe calls
 * during the load); exit 1 when a target is missed. The load generator and the emulators run in this process, the
 * service (API and worker, as `npm start`) in a child process of its own, on the same cores.
 */
import { z } from 'zod';
import { sleep } from '../src/infra/timing';
import { parseOptions, say } from './lib/cli';
import { sum } from './lib/emulators';
import { runStackScript, startStackEnvironment } from './lib/stack-script';
import { installAndWait, seedScenario } from './lib/scenario';
import { startServiceProcess } from './lib/service-process';

const optionsSchema = z.object({
  customers: z.coerce.number().int().min(10).max(100_000).default(2_000),
  rate: z.coerce.number().positive().max(1_000).default(50),
  seconds: z.coerce.number().positive().max(600).default(30),
  seed: z.coerce.number().int().default(1),
});

const P99_TARGET_MS = 200;

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? NaN;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { count: sorted.length, p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(at(1)) };
}

async function main(): Promise<void> {
  const options = parseOptions(optionsSchema);
  await runStackScript('bench-support', async (script) => {
    const { shutdown } = script;
    const started = await startStackEnvironment('bench-support', script, {
      headless: true,
      rateLimitPerMinute: 10_000,
    });
    const { emulators } = started;
    const config = {
      ...started.config,
      INTERCOM_CLIENT_SECRET: emulators.intercom.oauthApp.clientSecret,
      FIN_REQUESTS_PER_MINUTE: 100_000,
    };
    const service = await startServiceProcess(config, { logLevel: process.env.LOG_LEVEL || 'warn' });
    shutdown.add('service process', () => service.stop().then(() => undefined));
    const scenario = seedScenario(emulators, {
      customers: options.customers,
      preexistingShare: 0.15,
      seed: options.seed,
    });
    const api = { url: service.url, adminToken: config.ADMIN_TOKEN };
    const run = await installAndWait(api, scenario, { timeoutMs: 900_000, stop: shutdown.requested });
    say(`install ${run.installId} ${run.status.state} after ${Math.round(run.seconds)} s; settling, then loading`);
    // The last writes of the import finish after `live`: the load measures the card and Fin, not the import's tail.
    await sleep(5_000);

    const contacts = emulators.intercom
      .workspace(scenario.workspaceId)
      .contacts.filter((contact) => contact.email && contact.custom_attributes.STRIPE_id);
    const secretAnswer = await fetch(`${service.url}/installs/${run.installId}/fin-secret`, {
      method: 'POST',
      headers: { authorization: `Bearer ${config.ADMIN_TOKEN}` },
    });
    const { finSecret } = (await secretAnswer.json()) as { finSecret: string };

    const card: number[] = [];
    const fin: number[] = [];
    const errors: Record<string, number> = {};
    const countError = (what: string) => (errors[what] = (errors[what] ?? 0) + 1);
    const pick = () => contacts[Math.floor(Math.random() * contacts.length)]!;
    const oneCard = async () => {
      const started = performance.now();
      const answer = await emulators.intercom.canvasKit.initialize(`${service.url}/intercom/canvas/initialize`, {
        workspaceId: scenario.workspaceId,
        contactId: pick().id,
      });
      card.push(performance.now() - started);
      if (answer.status !== 200 || answer.problems.length > 0) countError(`card ${answer.status}`);
    };
    const oneFin = async () => {
      const started = performance.now();
      const email = encodeURIComponent(pick().email as string);
      const answer = await fetch(`${service.url}/fin/customers?email=${email}`, {
        headers: { authorization: `Bearer ${finSecret}` },
      });
      await answer.arrayBuffer();
      fin.push(performance.now() - started);
      if (answer.status !== 200) countError(`fin ${answer.status}`);
    };

    emulators.stripe.resetCounts();
    const total = Math.round(options.rate * options.seconds);
    const intervalMs = 1000 / options.rate;
    const began = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      const due = began + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push((i % 2 === 0 ? oneCard() : oneFin()).catch(() => void countError('network')));
    }
    await Promise.all(inFlight);
    const stripeCalls = sum(emulators.stripe.requestCounts());
    const result = {
      customers: options.customers,
      rate: options.rate,
      seconds: options.seconds,
      achievedRate: Math.round((total / ((performance.now() - began) / 1000)) * 10) / 10,
      card: percentiles(card),
      fin: percentiles(fin),
      errors,
      stripeCalls,
    };
    console.log(JSON.stringify(result));
    shutdown.request('bench finished');
    return result.card.p99 > P99_TARGET_MS || result.fin.p99 > P99_TARGET_MS || stripeCalls > 0 || sum(errors) > 0;
  });
}

void main();
