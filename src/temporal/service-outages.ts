import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { guardedServices, workflowIds, type GuardedService, type ServiceOutage } from '../domain/contracts';
import { outagesQuery } from '../workflows/messages';

/**
 * Every guarded service, by the name the owner reads, with its outage as the deployment knows it (none: closed, or no
 * breaker ever reported).
 */
export async function deploymentOutages(
  client: Client,
  taskQueue: string,
): Promise<{ name: string; outage?: ServiceOutage }[]> {
  let outages: Partial<Record<GuardedService, ServiceOutage>> = {};
  try {
    outages = await client.workflow.getHandle(workflowIds.serviceHealth(taskQueue)).query(outagesQuery);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return (Object.entries(guardedServices) as [GuardedService, string][]).map(([service, name]) => ({
    name,
    outage: outages[service],
  }));
}
