import { readdir, readFile, writeFile } from 'node:fs/promises';
import pg from 'pg';

/** CPU time and memory of one process from Linux /proc; null when it is gone or /proc is not there. */
export interface ProcessUsage {
  cpuSeconds: number;
  peakRssMb: number;
}

const TICKS_PER_SECOND = 100;

export async function processUsage(pid: number): Promise<ProcessUsage | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const peakKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
    // Fields 14 and 15 of /proc/PID/stat (after the parenthesised command name): user and system time in ticks.
    const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(stat[11]) + Number(stat[12]);
    if (!Number.isFinite(ticks)) return null;
    return { cpuSeconds: ticks / TICKS_PER_SECOND, peakRssMb: Number.isFinite(peakKb) ? Math.round(peakKb / 1024) : 0 };
  } catch {
    return null;
  }
}

/** Resets a process's peak RSS (VmHWM) to its current RSS, so a run's peak is its own (Linux clear_refs 5). */
async function resetPeak(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => undefined);
}

/** The `temporal server start-dev` process listening on `address`'s port, found by its command line. */
export async function findTemporalServerPid(address: string): Promise<number | null> {
  const port = address.split(':').at(-1);
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const portAt = args.indexOf('--port');
    if (args.includes('start-dev') && portAt >= 0 && args[portAt + 1] === port) return Number(entry);
  }
  return null;
}

/** Server processes serving the client's database right now (PostgreSQL forks one per connection), but its own. */
async function postgresBackendPids(client: pg.Client): Promise<number[]> {
  const result = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return result.rows.map((row) => row.pid);
}

export interface StackUsage {
  /** CPU seconds this run and peak RSS during it, per part of the stack. */
  [part: string]: { cpuSeconds: number; peakRssMb: number } | undefined;
}

/**
 * Measures one run of the whole stack: fixed processes (the service, the Temporal server, this process with the
 * emulators) by CPU delta and peak RSS since start, and PostgreSQL's backends of the run's database by sampling
 * every second (backends come and go with the pool), summed.
 */
export class StackMeter {
  private readonly before = new Map<string, ProcessUsage>();
  private readonly backends = new Map<number, { first: number; last: number; peakRssMb: number }>();
  private timer: NodeJS.Timeout | undefined;
  /** One connection for the whole run: the server may have none to spare later (max_connections). */
  private client: pg.Client | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly processes: Record<string, number | null>,
    private readonly databaseUrl: string | undefined,
  ) {}

  async start(): Promise<void> {
    for (const [part, pid] of Object.entries(this.processes)) {
      if (pid === null) continue;
      await resetPeak(pid);
      const usage = await processUsage(pid);
      if (usage) this.before.set(part, usage);
    }
    if (this.databaseUrl) {
      this.client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'sis-bench-meter' });
      // A run that fails never stops the meter, and its database is then dropped or stopped under this connection:
      // without a listener, that error would end the process before the run's own error is reported.
      this.client.on('error', () => undefined);
      await this.client.connect();
      await this.sampleBackends(true);
      this.timer = setInterval(() => {
        this.sampling = this.sampling.then(() => this.sampleBackends()).catch(() => undefined);
      }, 1_000);
    }
  }

  async stop(): Promise<StackUsage> {
    clearInterval(this.timer);
    await this.sampling;
    if (this.client) {
      await this.sampleBackends().catch(() => undefined);
      await this.client.end().catch(() => undefined);
    }
    const usage: StackUsage = {};
    for (const [part, pid] of Object.entries(this.processes)) {
      const before = this.before.get(part);
      const after = pid === null ? null : await processUsage(pid);
      if (before && after) {
        usage[part] = { cpuSeconds: round2(after.cpuSeconds - before.cpuSeconds), peakRssMb: after.peakRssMb };
      }
    }
    if (this.databaseUrl) {
      const all = [...this.backends.values()];
      // Backends share PostgreSQL's buffers, so their RSS does not add up: the largest one stands for them.
      usage.postgres = {
        cpuSeconds: round2(all.reduce((total, backend) => total + backend.last - backend.first, 0)),
        peakRssMb: all.reduce((largest, backend) => Math.max(largest, backend.peakRssMb), 0),
      };
    }
    return usage;
  }

  /** `atStart`: the backends already running count from now; later ones from their start. */
  private async sampleBackends(atStart = false): Promise<void> {
    if (!this.client) return;
    for (const pid of await postgresBackendPids(this.client)) {
      const usage = await processUsage(pid);
      if (!usage) continue;
      const known = this.backends.get(pid);
      // A backend first seen mid-run started during it (the pool opened it): all of its CPU is the run's.
      const first = atStart ? usage.cpuSeconds : 0;
      if (!known) this.backends.set(pid, { first, last: usage.cpuSeconds, peakRssMb: usage.peakRssMb });
      else Object.assign(known, { last: usage.cpuSeconds, peakRssMb: Math.max(known.peakRssMb, usage.peakRssMb) });
    }
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
