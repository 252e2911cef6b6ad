import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failures' messages and stack traces go into an encoded payload (which the codec encrypts), not the plain fields:
 * an error may quote a message or a draft. Loaded by path in workflows (the bundle) and by workers and clients.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
