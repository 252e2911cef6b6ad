import { connect } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Config } from '../config';
import { sandboxEndpoints } from '../sandbox/endpoints';
import { connectClient } from '../temporal/connection';
import { runningSessions, sessionStatus } from '../temporal/account-sessions';
import { deploymentOutages } from '../temporal/breaker-reports';
import { action, json, noArguments, webUiLink, webUiListLink } from './common';

/** `health`: Temporal, the workers, the services and the accounts, each ok or not; exit 1 when any is not. */
export function define(command: Command): void {
  command.option('--json', 'print JSON').action(action(z.object({ json, positionals: noArguments }), health));
}

/** One line of the health report: healthy or not, and what was seen. */
interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** The services' addresses: the sandbox's simulators, or the real services' hosts (Telegram: a data centre). */
function serviceAddresses(config: Config): { name: string; url: string }[] {
  if (config.sandbox) {
    const sandbox = sandboxEndpoints(config.sandboxPort);
    return [
      { name: 'OpenAI (sandbox)', url: sandbox.openaiUrl },
      { name: 'X (sandbox)', url: sandbox.xUrl },
      { name: 'Convex (sandbox)', url: sandbox.convexUrl },
      { name: 'Telegram (sandbox)', url: `tcp://127.0.0.1:${sandbox.telegramMtprotoPort}` },
    ];
  }
  return [
    { name: 'OpenAI', url: config.openai.baseUrl ?? 'https://api.openai.com/v1' },
    { name: 'X', url: config.x.baseUrl ?? 'https://api.x.com/2/' },
    { name: 'Convex', url: config.convex.url ?? '' },
    { name: 'Telegram', url: 'tcp://149.154.167.50:443' },
  ];
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

async function pollers(client: Client, config: Config, type: 'WORKFLOW' | 'ACTIVITY'): Promise<number> {
  const { pollers: found } = await client.workflowService.describeTaskQueue({
    namespace: config.temporal.namespace,
    // Temporal's enums: TASK_QUEUE_KIND_NORMAL = 1; TASK_QUEUE_TYPE_WORKFLOW = 1, TASK_QUEUE_TYPE_ACTIVITY = 2.
    taskQueue: { name: config.temporal.taskQueue, kind: 1 },
    taskQueueType: type === 'WORKFLOW' ? 1 : 2,
  });
  return found?.length ?? 0;
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

async function health(options: { json: boolean }, config: Config): Promise<number> {
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
  if (client && !system) {
    const [workflow, activity] = [await pollers(client, config, 'WORKFLOW'), await pollers(client, config, 'ACTIVITY')];
    checks.push({
      name: 'workers',
      ok: workflow > 0 && activity > 0,
      detail:
        workflow > 0 && activity > 0
          ? `${workflow} polling ${config.temporal.taskQueue}`
          : `no worker polls ${config.temporal.taskQueue}: start one with \`npm run worker\``,
    });
  }
  for (const service of serviceAddresses(config)) {
    const problem = service.url ? await reachable(service.url) : 'no URL configured';
    checks.push({ name: service.name, ok: !problem, detail: problem ? `${service.url}: ${problem}` : service.url });
  }
  if (client && !system)
    checks.push(...(await breakerChecks(client, config)), ...(await accountChecks(client, config)));
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
