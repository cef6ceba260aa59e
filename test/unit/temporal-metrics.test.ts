import assert from 'node:assert/strict';
import type { BufferedMetricUpdate, MetricsBuffer } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { exportTemporalSdkMetrics } from '../../src/infra/temporal-metrics';

/** A buffer holding the given updates until they are retrieved, as the SDK's does. */
function bufferOf(updates: BufferedMetricUpdate[]): MetricsBuffer {
  return { retrieveUpdates: () => updates.splice(0).values() } as unknown as MetricsBuffer;
}

function update(
  name: string,
  kind: BufferedMetricUpdate['metric']['kind'],
  value: number,
  attributes: Record<string, string>,
): BufferedMetricUpdate {
  return {
    metric: { name, kind, valueType: 'float', unit: '', description: '' },
    value,
    attributes,
  } as BufferedMetricUpdate;
}

describe('Temporal SDK metrics in the prom-client registry', () => {
  it('moves counters, gauges, up-down counters and histograms into temporal_* metrics at each scrape', async () => {
    const registry = new Registry();
    const updates: BufferedMetricUpdate[] = [];
    exportTemporalSdkMetrics(registry, bufferOf(updates));
    const queue = { namespace: 'default', task_queue: 'q', service_name: 'temporal-core-sdk' };
    updates.push(
      update('activity_execution_failed', 'counter', 1, { ...queue, activity_type: 'syncCustomers' }),
      update('activity_execution_failed', 'counter', 2, { ...queue, activity_type: 'syncCustomers' }),
      update('num_pollers', 'gauge', 5, { ...queue, poller_type: 'workflow_task' }),
      update('num_pollers', 'gauge', 3, { ...queue, poller_type: 'workflow_task' }),
      update('sticky_cache_size', 'up-down-counter', 4, queue),
      update('sticky_cache_size', 'up-down-counter', -1, queue),
      update('workflow_task_schedule_to_start_latency', 'histogram', 0.2, { ...queue, workflow_type: 'syncWorkflow' }),
    );
    // A metric's first updates create it while a scrape runs: it shows from the next scrape on, with nothing lost.
    await registry.metrics();
    const text = await registry.metrics();
    assert.match(
      text,
      /^temporal_activity_execution_failed\{namespace="default",task_queue="q",activity_type="syncCustomers"\} 3$/m,
    );
    assert.match(text, /^temporal_num_pollers\{namespace="default",task_queue="q",poller_type="workflow_task"\} 3$/m);
    assert.match(text, /^temporal_sticky_cache_size\{namespace="default",task_queue="q"\} 3$/m);
    assert.match(
      text,
      /^temporal_workflow_task_schedule_to_start_latency_bucket\{le="0.25",namespace="default",task_queue="q",workflow_type="syncWorkflow"\} 1$/m,
    );
    assert.doesNotMatch(text, /service_name/, 'the constant service_name is left out');

    // A later scrape takes only what came since; a metric seen first without a task queue still takes one later.
    updates.push(update('request', 'counter', 1, { operation: 'DescribeNamespace' }));
    updates.push(update('request', 'counter', 1, { ...queue, operation: 'PollWorkflowTaskQueue' }));
    await registry.metrics();
    const later = await registry.metrics();
    assert.match(later, /^temporal_activity_execution_failed\{.*\} 3$/m);
    assert.match(later, /^temporal_request\{operation="DescribeNamespace"\} 1$/m);
    assert.match(
      later,
      /^temporal_request\{namespace="default",task_queue="q",operation="PollWorkflowTaskQueue"\} 1$/m,
    );
    assert.match(later, /^temporal_sdk_metric_updates_total 9$/m);
  });

  it('empties the buffer between scrapes too, so a busy or unscraped worker never fills it (the SDK drops updates then)', async () => {
    const registry = new Registry();
    const updates: BufferedMetricUpdate[] = [];
    exportTemporalSdkMetrics(registry, bufferOf(updates), { drainEveryMs: 5 });
    const queue = { namespace: 'default', task_queue: 'q' };
    for (let i = 0; i < 100; i += 1)
      updates.push(update('workflow_completed', 'counter', 1, { ...queue, workflow_type: 'w' }));
    while (updates.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // Moved before any scrape: the first one shows them all.
    const text = await registry.metrics();
    assert.match(text, /^temporal_workflow_completed\{namespace="default",task_queue="q",workflow_type="w"\} 100$/m);
    assert.match(text, /^temporal_sdk_metric_updates_total 100$/m);
  });
});
