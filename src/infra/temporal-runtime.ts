import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from '../logger';
import { temporalSdkMetrics } from './temporal-metrics';

const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's logger interface over pino, so SDK and activity logs are the same JSON lines as ours. */
export function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    // pino serialises an Error only under `err`; under the SDK's `error` key it would print as {}.
    const { error, ...rest } = meta ?? {};
    logger[levels[level]](error === undefined ? rest : { ...rest, err: error }, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/**
 * Must run before any worker or NativeConnection is created (the SDK creates a default Runtime otherwise). No
 * shutdown signals: by default the SDK stops workers on SIGINT/SIGTERM itself, before we have stopped the API in front.
 * The native core's own logs (poll retries while Temporal is down, …) are forwarded too: by default the SDK prints
 * them straight to the console, past our logger and its level. The SDK's metrics go to a buffer that /metrics drains
 * (temporal-metrics.ts).
 */
export function installTemporalRuntime(logger: Logger): Runtime {
  return Runtime.install({
    logger: temporalLogger(logger.child({ component: 'temporal-sdk' })),
    telemetryOptions: { logging: { forward: {} }, metrics: { buffer: temporalSdkMetrics } },
    shutdownSignals: [],
  });
}
