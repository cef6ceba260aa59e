import { collectDefaultMetrics, Registry } from 'prom-client';
import { exportTemporalSdkMetrics } from './temporal-metrics';

/**
 * One registry per process, passed to whatever records metrics; nothing uses prom-client's global one. It has Node's
 * process metrics and the Temporal SDK's (temporal-metrics.ts).
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  exportTemporalSdkMetrics(registry);
  return registry;
}
