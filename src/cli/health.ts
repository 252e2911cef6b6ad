import { connect } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Config } from '../config';
import { connectClient } from '../temporal/connection';
import { runningSessions, sessionStatus } from '../temporal/account-sessions';
import { deploymentOutages } from '../temporal/service-outages';
import { SandboxNotRunning, createServices, serviceAddresses } from '../adapters/create-services';
import { action, CliError, json, noArguments, webUiLink, webUiListLink } from './common';
import { deepChecks, type Check } from './health-deep';

/**
 * `health`: Temporal, the workers, the services and the accounts, each ok or not; exit 1 when any is not. `--deep`
 * checks every credential with one cheap authenticated call instead of reaching the services' ports.
 */
export function define(command: Command): void {
  command
    .option('--deep', 'check every key, token and session with one authenticated call each (health-deep.ts)')
    .option('--json', 'print JSON')
    .action(action(z.object({ deep: z.boolean().default(false), json, positionals: noArguments }), health));
}

/** Whether a TCP connection to the URL's host and port opens within 3 s: reachable, whatever it answers after. */
function reachable(url: string): Promise<string | undefined> {
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'http:' ? 80 : 443));
  return new Promise((done) => {
    const socket = connect({ host: parsed.hostname, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      done(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done('no answer within 3 s');
    });
    socket.once('error', (err) => done(err.message));
  });
}

/** Who polls the task queue for that kind of task: each worker's identity (steadfast-worker@host:pid). */
async function pollers(client: Client, config: Config, type: 'WORKFLOW' | 'ACTIVITY'): Promise<string[]> {
  const { pollers: found } = await client.workflowService.describeTaskQueue({
    namespace: config.temporal.namespace,
    // Temporal's enums: TASK_QUEUE_KIND_NORMAL = 1; TASK_QUEUE_TYPE_WORKFLOW = 1, TASK_QUEUE_TYPE_ACTIVITY = 2.
    taskQueue: { name: config.temporal.taskQueue, kind: 1 },
    taskQueueType: type === 'WORKFLOW' ? 1 : 2,
  });
  return (found ?? []).map((poller) => poller.identity ?? '?').sort();
}

async function accountChecks(client: Client, config: Config): Promise<Check[]> {
  const checks: Check[] = [];
  for (const { accountId, workflowId } of await runningSessions(client)) {
    const view = await sessionStatus(client, workflowId);
    // needs-login waits for the owner; a reconnecting session is the policy at work, not yet a problem.
    checks.push({
      name: `account ${accountId}`,
      ok: view.state !== 'needs-login',
      detail: `${view.state}${view.lastError ? ` (last error: ${view.lastError})` : ''} ${webUiLink(config, workflowId)}`,
    });
  }
  return checks;
}

/** The circuit breakers, as the deployment knows them (serviceHealthWorkflow): open is not healthy. */
async function breakerChecks(client: Client, config: Config): Promise<Check[]> {
  return (await deploymentOutages(client, config.temporal.taskQueue)).map(({ name, outage }) => ({
    name: `circuit breaker ${name}`,
    ok: !outage,
    detail: outage
      ? `open since ${new Date(outage.since).toISOString()} on ${outage.openOn.join(', ')}${outage.lastError ? ` (last error: ${outage.lastError})` : ''}`
      : 'closed',
  }));
}

async function health(options: { deep: boolean; json: boolean }, config: Config): Promise<number> {
  const checks: Check[] = [];
  const client = await connectClient(config.temporal).catch(() => undefined);
  const system = await client?.workflowService.getSystemInfo({}).then(
    () => undefined,
    (err: Error) => err.message,
  );
  checks.push({
    name: 'Temporal',
    ok: Boolean(client) && !system,
    detail:
      client && !system
        ? config.temporal.address
        : `${config.temporal.address} unreachable: start it with \`npm run server\``,
  });
  const connected = client && !system ? client : undefined;
  if (connected) {
    const [workflow, activity] = [
      await pollers(connected, config, 'WORKFLOW'),
      await pollers(connected, config, 'ACTIVITY'),
    ];
    const workers = [...new Set([...workflow, ...activity])];
    checks.push({
      name: 'workers',
      ok: workflow.length > 0 && activity.length > 0,
      detail:
        workflow.length > 0 && activity.length > 0
          ? `${workers.length} polling ${config.temporal.taskQueue}: ${workers.join(', ')}`
          : `no worker polls ${config.temporal.taskQueue}: start one with \`npm run worker\``,
    });
  }
  if (options.deep) {
    const services = await createServices(config).catch((err: unknown) => {
      throw err instanceof SandboxNotRunning ? new CliError(err.message) : err;
    });
    checks.push(...(await deepChecks(config, connected, services)));
  } else {
    for (const service of serviceAddresses(config)) {
      const problem = service.url ? await reachable(service.url) : 'no URL configured';
      checks.push({ name: service.name, ok: !problem, detail: problem ? `${service.url}: ${problem}` : service.url });
    }
  }
  if (connected) {
    checks.push(...(await breakerChecks(connected, config)));
    if (!options.deep) checks.push(...(await accountChecks(connected, config)));
  }
  const healthy = checks.every((check) => check.ok);
  const link = webUiListLink(config);
  if (options.json) console.log(JSON.stringify({ healthy, checks, webUi: link }));
  else {
    for (const check of checks) console.log(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`);
    console.log(`${healthy ? 'Healthy' : 'Unhealthy'}. ${link}`);
  }
  await client?.connection.close();
  return healthy ? 0 : 1;
}
