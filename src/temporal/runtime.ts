import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

/**
 * Installs the process-wide Temporal SDK runtime with a Prometheus exporter
 * (its metrics are appended to GET /metrics). Call it once, before any worker
 * or native connection exists. No shutdown signals: the caller drains the
 * worker itself, in order with everything else.
 */
export function installTemporalRuntime(opts: { metricsPort: number; logLevel?: LogLevel }): { metricsUrl: string } {
  Runtime.install({
    logger: new DefaultLogger(opts.logLevel ?? 'WARN'),
    shutdownSignals: [],
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${opts.metricsPort}` } } },
  });
  return { metricsUrl: `http://127.0.0.1:${opts.metricsPort}/metrics` };
}
