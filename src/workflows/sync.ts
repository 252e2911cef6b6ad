import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from './activity-types';
import { notifyOwnerOfDeadLetter } from './alerts';
import type { SyncInput, SyncResult } from '../domain/contracts';
import { deadLetter } from './dead-letter';
import { countDeadLetter } from './metrics';
import { policies } from './policies';

const { saveMessage } = proxyActivities<Activities>({ ...policies.convex, summary: 'Save the message in Convex' });

/**
 * One incoming Telegram message → one Convex document. The upsert is idempotent by (account, chat, message id) and
 * the workflow id is `sync:{account}:{chat}:{message}`, so a message is stored once however often it arrives. A
 * Convex outage is waited out for up to a day (the Convex policy); bad data fails at once and alerts the owner.
 */
export async function syncMessageWorkflow({ accountId, message }: SyncInput): Promise<SyncResult> {
  try {
    await saveMessage({ accountId, ...message });
    return { stored: true };
  } catch (err) {
    const failure = deadLetter(err);
    countDeadLetter(failure.type ?? 'upstream');
    log.error('sync failed', { accountId, chatId: message.chatId, category: failure.type, error: failure.message });
    const what = `storing Telegram message ${message.messageId} of chat ${message.chatId} (account ${accountId})`;
    await notifyOwnerOfDeadLetter(accountId, what, failure);
    throw failure;
  }
}
