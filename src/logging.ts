import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import pino, { type Logger } from 'pino';

/**
 * Structured logs (pino, one JSON object a line). Temporal's workflow and activity loggers are routed here, so their
 * lines carry `workflowId`, `runId`, `activityId` and the like. Secrets are never passed to a logger; the redact
 * list is a last line of defence, not the rule.
 */
export function createLogger(level: string, name = 'steadfast'): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['*.apiKey', '*.token', '*.password', '*.session', '*.sessionString'], censor: '[redacted]' },
  });
}

const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Installs the Temporal runtime once per process with its logs going to `logger`; with `metricsAddress`, the SDK's
 * Prometheus exporter listens there (the worker's monitoring server serves it: src/workers/monitoring-server.ts).
 */
export function installTemporalRuntime(logger: Logger, metricsAddress?: string): void {
  const temporalLevel = logger.level.toUpperCase() as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(temporalLevel in levels ? temporalLevel : 'INFO', ({ level, message, meta }) => {
      logger[levels[level]]({ ...meta }, message);
    }),
    ...(metricsAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress, useSecondsForDurations: true } } } }
      : {}),
  });
}
