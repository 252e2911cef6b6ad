import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface MonitoringOptions {
  port: number;
  /** The SDK's Prometheus exporter on loopback (installTemporalRuntime): every metric, the SDK's and ours. */
  sdkMetricsUrl: string;
  /** Brings the gauges up to date before a scrape. */
  refresh: () => void;
  /** Whether the worker is connected to Temporal and polling; why not, when not. */
  ready: () => Promise<{ ready: true } | { ready: false; reason: string }>;
  logger: Logger;
}

/**
 * The worker's one port for a monitoring system: `/metrics` (Prometheus text), `/healthz` (the process lives: 200
 * while it can answer at all) and `/readyz` (200 when connected to Temporal and polling, else 503 with the reason).
 */
export async function serveMonitoring(options: MonitoringOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const answer = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET') return answer(405, 'GET only\n');
    if (path === '/healthz') return answer(200, 'ok\n');
    if (path === '/readyz') {
      void options.ready().then(
        (readiness) =>
          answer(readiness.ready ? 200 : 503, readiness.ready ? 'ready\n' : `not ready: ${readiness.reason}\n`),
        (err: unknown) => answer(503, `not ready: ${String(err)}\n`),
      );
      return;
    }
    if (path === '/metrics') {
      options.refresh();
      void fetch(options.sdkMetricsUrl)
        .then(async (response) => answer(200, await response.text(), 'text/plain; version=0.0.4; charset=utf-8'))
        .catch((err: unknown) => answer(500, `metrics unavailable: ${String(err)}\n`));
      return;
    }
    answer(404, 'try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, () => resolve());
  });
  options.logger.info({ port: (server.address() as AddressInfo).port }, 'serving /metrics, /healthz, /readyz');
  return server;
}
