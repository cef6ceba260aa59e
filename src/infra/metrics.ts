import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per process, passed to whatever records metrics; nothing uses prom-client's global one. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
