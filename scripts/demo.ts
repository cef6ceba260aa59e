/**
 * `npm run demo [-- --customers 500 --rate-limit 10000 --keep-running]`: the whole service end to end on this
 * machine, with nothing configured. Starts (or reuses) a Temporal server, an embedded PostgreSQL in a temp dir
 * (or a fresh database on DATABASE_URL's server), the Stripe and Intercom emulators in this process, and the service
 * (worker + API) in this process; seeds a Stripe account with N customers and an Intercom workspace where ~15% of
 * them are already users (a third with differently-cased emails); installs through the real API; waits until the
 * install is live; prints one JSON line (the last line on stdout) and stops everything.
 *
 * Progress and logs go to stderr (LOG_LEVEL, default warn). Exit status 0 when the import is correct (no duplicate
 * contacts, every distinct email one contact, pre-existing users matched, nothing failed), 1 otherwise.
 */
import { z } from 'zod';
import { startService } from '../src/service';
import { parseOptions, say } from './lib/cli';
import { runStackScript, startStackEnvironment } from './lib/stack-script';
import { importResult, installAndWait, problems, seedScenario } from './lib/scenario';

const optionsSchema = z.object({
  customers: z.coerce.number().int().min(1).max(200_000).default(500),
  'rate-limit': z.coerce.number().int().min(0).default(10_000),
  'keep-running': z.boolean().default(false),
  seed: z.coerce.number().int().default(1),
  'preexisting-share': z.coerce.number().min(0).max(1).default(0.15),
  /** Share of the other emails an Intercom lead holds: the import turns each lead into the user. */
  'lead-share': z.coerce.number().min(0).max(1).default(0.03),
  /** Seconds to wait for the install to go live; default from the customers and the rate limit. */
  timeout: z.coerce.number().positive().optional(),
});

async function main(): Promise<void> {
  const options = parseOptions(optionsSchema, ['keep-running']);
  const started = performance.now();
  await runStackScript('demo', async (script) => {
    const { logger, shutdown } = script;
    say(`starting: Temporal, PostgreSQL, emulators, the service (${options.customers} customers)`);
    const { environment, emulators, config } = await startStackEnvironment('demo', script, {
      headless: !options['keep-running'],
      rateLimitPerMinute: options['rate-limit'],
    });
    const service = await startService(config, logger, shutdown);
    say(`ready after ${Math.round((performance.now() - started) / 1000)} s: API ${service.apiUrl}`);

    const scenario = seedScenario(emulators, {
      customers: options.customers,
      preexistingShare: options['preexisting-share'],
      leadShare: options['lead-share'],
      seed: options.seed,
    });
    say(
      `seeded Stripe account ${emulators.stripe.accountId}: ${scenario.customers} customers ` +
        `(${scenario.withEmail} with an email, ${scenario.withoutEmail} without, ${scenario.deleted} deleted); ` +
        `Intercom workspace ${scenario.workspaceId}: ${scenario.preexisting} users and ${scenario.leads} leads already`,
    );
    // The slowest part is Intercom's rate limit: about 1.1 calls per customer.
    const minimumSeconds = options['rate-limit'] > 0 ? (options.customers * 1.1) / (options['rate-limit'] / 60) : 0;
    const timeoutMs = (options.timeout ?? 120 + 3 * minimumSeconds) * 1000;
    const run = await installAndWait({ url: service.apiUrl, adminToken: config.ADMIN_TOKEN }, scenario, {
      timeoutMs,
      stop: shutdown.requested,
    });
    const result = importResult(emulators, scenario, run);
    const found = problems(result, scenario);
    for (const problem of found) say(`PROBLEM: ${problem}`);
    const { intercomCallsByEndpoint, state: _state, installId, ...line } = result;
    say(`Intercom calls by endpoint: ${JSON.stringify(intercomCallsByEndpoint)}`);
    say(`Stripe calls by endpoint: ${JSON.stringify(emulators.stripe.requestCounts())}`);

    if (options['keep-running']) {
      // An empty workspace to install into by hand, beside the demo's own (which shows its status page instead).
      emulators.intercom.createWorkspace({ name: 'Your trial workspace' });
      say(
        [
          '',
          'Still running (Ctrl-C stops everything):',
          `  install URL    ${service.apiUrl}/install   (open it in a browser: sign in to the emulated Intercom, pick`,
          `                 "Your trial workspace", sign in to the emulated Stripe, preview, import, watch it finish)`,
          `  app store      ${emulators.intercom.url}/appstore   ("Install now", as in Intercom's app store)`,
          `  Stripe apps    ${emulators.stripe.url}/dashboard/apps   (uninstall from the Stripe side)`,
          `  API            ${service.apiUrl}   (admin token: ${config.ADMIN_TOKEN})`,
          `  install        curl -H 'Authorization: Bearer ${config.ADMIN_TOKEN}' ${service.apiUrl}/installs/${installId}`,
          `  Temporal UI    ${environment.temporalUiUrl ?? 'none'}  (namespace ${config.TEMPORAL_NAMESPACE}; ` +
            `workflows sync:${installId}, import:${installId}; search InstallId="${installId}")`,
          `  Stripe         ${emulators.stripe.url}  (secret key ${emulators.stripe.keys.live})`,
          `  Intercom       ${emulators.intercom.url}/_emulator/workspaces/${scenario.workspaceId}/contacts`,
          '  A webhook end to end (Stripe emits customer.created; the service creates the Intercom user):',
          `    curl -X POST ${emulators.stripe.url}/_emulator/createCustomer -H 'content-type: application/json' \\`,
          `      -d '{"email":"new.user@example.com","name":"New User"}'`,
          '',
        ].join('\n'),
      );
    }
    console.log(JSON.stringify(line));
    if (!options['keep-running']) shutdown.request('demo finished');
    return found.length > 0;
  });
}

void main();
