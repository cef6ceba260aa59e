import { MetricsBuffer, type BufferedMetricUpdate } from '@temporalio/worker';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The Temporal SDK's own metrics (workflow and activity task schedule-to-start latency, sticky cache hits and misses,
 * activity and workflow task failures, poller counts, …), buffered by the runtime temporal-runtime.ts installs. One
 * per process, as the runtime is.
 */
export const temporalSdkMetrics = new MetricsBuffer({ useSecondsForDurations: true });

type SdkMetric = Counter | Gauge | Histogram;

/**
 * The attributes the SDK puts on its metrics, as labels (prom-client fixes a metric's label names when it is created,
 * and the SDK gives one metric different attribute sets, e.g. `request` with and without a task queue); others, and
 * the constant `service_name`, are left out.
 */
const LABELS = [
  'namespace',
  'task_queue',
  'workflow_type',
  'activity_type',
  'operation',
  'poller_type',
  'worker_type',
  'failure_reason',
  'status_code',
];

/**
 * Empties one SDK buffer into every registry exporting it, at each scrape and also every `everyMs` whatever the
 * scrapes: the SDK keeps at most 10,000 updates and then drops each new one with an error log line, which a busy
 * worker reaches within seconds (70,000 such lines in one fleet benchmark) and a worker nobody scrapes always would.
 */
class SdkMetricsPump {
  private readonly sinks = new Set<(update: BufferedMetricUpdate) => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly buffer: MetricsBuffer,
    private readonly everyMs: number,
  ) {}

  add(sink: (update: BufferedMetricUpdate) => void): void {
    this.sinks.add(sink);
    if (this.timer) return;
    this.timer = setInterval(() => this.drain(), this.everyMs);
    this.timer.unref();
  }

  drain(): void {
    for (const update of this.buffer.retrieveUpdates()) for (const sink of this.sinks) sink(update);
  }
}

const pumps = new WeakMap<MetricsBuffer, SdkMetricsPump>();

function pumpOf(buffer: MetricsBuffer, everyMs: number): SdkMetricsPump {
  const pump = pumps.get(buffer) ?? new SdkMetricsPump(buffer, everyMs);
  pumps.set(buffer, pump);
  return pump;
}

/**
 * Moves the SDK's buffered metric updates into `registry` (every `drainEveryMs`, and at each scrape of /metrics), as
 * prom-client metrics named `temporal_<name>`: counters, gauges (up-down counters too) and histograms in seconds. A
 * metric created during a scrape is in the next one (the registry lists its metrics before collecting them).
 */
export function exportTemporalSdkMetrics(
  registry: Registry,
  buffer: MetricsBuffer = temporalSdkMetrics,
  options: { drainEveryMs?: number } = {},
): void {
  const pump = pumpOf(buffer, options.drainEveryMs ?? 1_000);
  const metrics = new Map<string, SdkMetric>();
  let movedSinceCollect = 0;
  const move = (update: BufferedMetricUpdate) => {
    movedSinceCollect += 1;
    const name = update.metric.name.startsWith('temporal_') ? update.metric.name : `temporal_${update.metric.name}`;
    let metric = metrics.get(name);
    if (!metric) {
      const options = {
        name,
        help: update.metric.description || `Temporal SDK metric ${update.metric.name}`,
        labelNames: LABELS,
        registers: [registry],
      };
      const kind = update.metric.kind;
      metric =
        kind === 'counter' ? new Counter(options) : kind === 'histogram' ? new Histogram(options) : new Gauge(options);
      metrics.set(name, metric);
    }
    const labels = Object.fromEntries(
      LABELS.filter((label) => update.attributes[label] !== undefined).map((label) => [
        label,
        String(update.attributes[label]),
      ]),
    );
    if (metric instanceof Histogram) metric.observe(labels, update.value);
    else if (metric instanceof Counter) metric.inc(labels, update.value);
    else if (update.metric.kind === 'up-down-counter') metric.inc(labels, update.value);
    else metric.set(labels, update.value);
  };
  new Counter({
    name: 'temporal_sdk_metric_updates_total',
    help: 'Metric updates taken from the Temporal SDK (collecting this moves them into the temporal_* metrics)',
    registers: [registry],
    collect() {
      pump.drain();
      this.inc(movedSinceCollect);
      movedSinceCollect = 0;
    },
  });
  pump.add(move);
}
