import { createRequire } from 'node:module';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

const { temporal } = proto;

type History = proto.temporal.api.history.v1.IHistory;

/**
 * Proto JSON for Temporal histories: the format of `temporal workflow show -o json` and of the Web UI's download.
 *
 * The SDK's own historyFromJSON/historyToJSON (@temporalio/common/lib/proto-utils, also what Worker.runReplayHistory
 * calls for a JSON history) fail here with `type must be a Type`: @temporalio/common and @temporalio/proto each get
 * their own copy of protobufjs (a third sits at the top for @grpc/proto-loader, which wants 7.x), and protobufjs's
 * protojson extension checks `instanceof Type` against the copy it was loaded from. So these use the protojson of the
 * copy @temporalio/proto's types were built with, and the replay is given decoded histories.
 */
/** A protobufjs message type from @temporalio/proto's own copy; only passed back to that copy's protojson here. */
interface Type {
  readonly fullName: string;
}

const protoRequire = createRequire(require.resolve('@temporalio/proto'));
const protojson = protoRequire('protobufjs/ext/protojson') as {
  fromJson(type: Type, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
  toJson(type: Type, message: unknown): unknown;
};
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): Type }).lookupType(
  'temporal.api.history.v1.History',
);

/** A history as proto JSON (what `temporal workflow show -o json` prints). */
export function historyToJson(history: History): unknown {
  return protojson.toJson(historyType, temporal.api.history.v1.History.fromObject(history));
}

/** A proto-JSON history back as the decoded message replay takes; fields a newer server added are ignored. */
export function historyFromJson(json: unknown): proto.temporal.api.history.v1.History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (history === null) throw new TypeError('not a Temporal history');
  return history as proto.temporal.api.history.v1.History;
}

/** The recorded histories: test/histories/<release>/<name>.json. */
export const HISTORIES_DIR = path.resolve(__dirname, '..', 'histories');

/** What a recorded history shows, for checking that the corpus covers what a deploy meets. */
export interface HistoryShape {
  workflowType: string;
  /** Pages scheduled (importPage activities, and importFirstPages's one page per list), by list kind. */
  importPages: Record<string, number>;
  /** Whether some list was read in slices (an importPage with a creation-time bound). */
  slicedLists: boolean;
  continuedAsNew: boolean;
  /** Signalled `disable` and completed. */
  disabled: boolean;
  completed: boolean;
}

/** The input an activity was scheduled with (its first argument, JSON-encoded as the SDK's default converter does). */
export function scheduledInput<T>(scheduled: proto.temporal.api.history.v1.IActivityTaskScheduledEventAttributes): T {
  return JSON.parse(Buffer.from(scheduled.input?.payloads?.[0]?.data ?? []).toString('utf8')) as T;
}

/** The patch ids a run's markers record (sdk-core's `core_patch` markers hold `{ id, deprecated }` as JSON under `patch-data`). */
export function patchMarkers(events: proto.temporal.api.history.v1.IHistoryEvent[] | null | undefined): string[] {
  return (events ?? []).flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    const data = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0]?.data : undefined;
    return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
  });
}

/** The activity type of a local activity's marker (sdk-core records its data as JSON under `data`), else undefined. */
export function localActivityType(event: proto.temporal.api.history.v1.IHistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = marker.details?.['data']?.payloads?.[0]?.data;
  return data
    ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type
    : undefined;
}

export function historyShape(history: proto.temporal.api.history.v1.IHistory): HistoryShape {
  const events = history.events ?? [];
  const shape: HistoryShape = {
    workflowType: events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '',
    importPages: {},
    slicedLists: false,
    continuedAsNew: events.some((event) => event.workflowExecutionContinuedAsNewEventAttributes),
    disabled: false,
    completed: events.some((event) => event.workflowExecutionCompletedEventAttributes),
  };
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'importPage') {
      const input = scheduledInput<{ kind: string; created?: { gte: number | null; lt: number | null } }>(scheduled);
      shape.importPages[input.kind] = (shape.importPages[input.kind] ?? 0) + 1;
      if (input.created && (input.created.gte !== null || input.created.lt !== null)) shape.slicedLists = true;
    }
    if (scheduled?.activityType?.name === 'importFirstPages') {
      for (const kind of scheduledInput<{ kinds: string[] }>(scheduled).kinds)
        shape.importPages[kind] = (shape.importPages[kind] ?? 0) + 1;
    }
    if (event.workflowExecutionSignaledEventAttributes?.signalName === 'disable') shape.disabled = shape.completed;
  }
  return shape;
}

/** Identities (`<pid>@<host>`) of the workers that completed workflow tasks and started activities, over every run of a workflow id. */
export async function workerIdentities(
  temporal: Client,
  workflowId: string,
): Promise<{ workflowTasks: Set<string>; activities: Set<string> }> {
  const workflowTasks = new Set<string>();
  const activities = new Set<string>();
  for await (const run of temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await temporal.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    for (const event of history.events ?? []) {
      const completed = event.workflowTaskCompletedEventAttributes?.identity;
      if (completed) workflowTasks.add(completed);
      const started = event.activityTaskStartedEventAttributes?.identity;
      if (started) activities.add(started);
    }
  }
  return { workflowTasks, activities };
}
