// Every workflow the workers register. Deterministic code only: no I/O, no Node built-ins, no service libraries.
export { replyWorkflowV2 } from './reply';
export { watchTweetsWorkflow } from './watch';
export { syncMessageWorkflow } from './sync';
export { accountSessionWorkflow } from './account-session';
export { loginWorkflow } from './login';
export { chatWorkflow } from './chat';
export { controlBotWorkflow } from './control-bot';
export { ownerOutboxWorkflow } from './owner-outbox';
export { serviceHealthWorkflow } from './service-health';
export { xTokenWorkflow } from './x-token';
