/**
 * The workflow types a reply's runs may have (src/workflows/reply.ts says why there are two). New runs start as the
 * last; listings ask for all of them.
 */
export const replyTypes = ['replyWorkflow', 'replyWorkflowV2'] as const;

/** The reply types as a visibility query's term. */
export const replyTypeTerm = `WorkflowType IN (${replyTypes.map((type) => `"${type}"`).join(', ')})`;

/** The type a new run of a dead letter starts as: its workflow's current type. */
export function currentWorkflowType(type: string): string {
  return (replyTypes as readonly string[]).includes(type) ? replyTypes[replyTypes.length - 1]! : type;
}
