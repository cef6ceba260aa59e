import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStripeEmulator, type StripeEmulator } from '../../emulators/stripe';
import type { Shutdown } from '../../src/infra/lifecycle';

/**
 * Many Stripe accounts behind one STRIPE_API_BASE: an emulator per account (each its own rate limits, latency, data
 * and webhook deliveries), and a proxy in front that sends each request to the account its API key belongs to, as
 * api.stripe.com does. The service takes one STRIPE_API_BASE for every install.
 */
export interface StripeAccounts {
  url: string;
  add(options: { seed: number; latencyMs: number }): Promise<StripeEmulator>;
  all(): StripeEmulator[];
}

export async function startStripeAccounts(shutdown: Shutdown): Promise<StripeAccounts> {
  const byKey = new Map<string, StripeEmulator>();
  const emulators: StripeEmulator[] = [];
  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const key = /^Bearer\s+(\S+)/i.exec(incoming.headers.authorization ?? '')?.[1] ?? '';
    const target = byKey.get(key);
    if (!target) {
      outgoing.writeHead(401, { 'content-type': 'application/json' });
      outgoing.end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }));
      return;
    }
    const upstream = request(
      { host: '127.0.0.1', port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  };
  const proxy = createServer(forward);
  proxy.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  shutdown.add('Stripe accounts', async () => {
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    proxy.closeAllConnections();
    await Promise.all(emulators.map((emulator) => emulator.close()));
  });
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    async add({ seed, latencyMs }) {
      const emulator = await startStripeEmulator({
        port: 0,
        seed,
        // The service receives webhooks on 127.0.0.1, which real Stripe refuses.
        allowLocalWebhookUrls: true,
        latencyMs,
        webhook: { delayMs: [0, 0], duplicateProbability: 0 },
      });
      for (const key of Object.values(emulator.keys)) if (typeof key === 'string') byKey.set(key, emulator);
      emulators.push(emulator);
      return emulator;
    },
    all: () => [...emulators],
  };
}
