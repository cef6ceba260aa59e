import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { bearerTokenMatches } from '../auth/bearer-token';

/**
 * `GET /metrics` alone, for a process without the API (`npm run worker`): Prometheus text of `registry`, behind
 * `Authorization: Bearer <token>` when a token is given (METRICS_TOKEN, as the API's). Returns its URL and how to
 * close it.
 */
export async function startMetricsServer(
  registry: Registry,
  options: { host: string; port: number; token?: string | undefined },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    if (options.token !== undefined && !bearerTokenMatches(request.headers.authorization ?? '', options.token)) {
      response.writeHead(401).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
