import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProductionStack } from '../../scripts/lib/production-stack';

/**
 * The faults a production test asks of the stack the harness owns (test/run.ts --production), over loopback HTTP:
 * POST /server/kill (SIGKILL, as a crash), /server/start, /postgres/restart (an immediate stop, recovered from the WAL
 * on start). Each answers, once done, with how long it took in milliseconds.
 */
export type StackFault = 'server/kill' | 'server/start' | 'postgres/restart';

export async function serveStackControl(stack: ProductionStack): Promise<{ url: string; server: Server }> {
  const faults: Record<StackFault, () => Promise<void> | void> = {
    'server/kill': () => stack.stopServer('SIGKILL'),
    'server/start': () => stack.startServer(),
    'postgres/restart': () => stack.postgres.restart('immediate'),
  };
  const server = createServer((req, res) => {
    const fault = faults[(req.url ?? '').slice(1) as StackFault];
    if (req.method !== 'POST' || !fault) {
      res.writeHead(404).end();
      return;
    }
    const started = performance.now();
    Promise.resolve()
      .then(fault)
      .then(
        () =>
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ms: performance.now() - started })),
        (err: unknown) => res.writeHead(500).end(err instanceof Error ? err.message : String(err)),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
