import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { deadLetterAlert } from './alerts';
import type { SyncInput, SyncResult } from './contracts';
import { deadLetter } from './failures';
import { policies } from './policies';

const { saveMessage } = proxyActivities<Activities>(policies.convex);
const { notifyOwner } = proxyActivities<Activities>(policies.telegramSend);

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
    log.error('sync failed', { accountId, chatId: message.chatId, category: failure.type, error: failure.message });
    const { workflowId } = workflowInfo();
    const what = `storing Telegram message ${message.messageId} of chat ${message.chatId} (account ${accountId})`;
    try {
      await notifyOwner({ accountId, text: deadLetterAlert({ what, failure, workflowId, at: new Date() }) });
    } catch (alertErr) {
      log.error('owner alert failed', { error: alertErr instanceof Error ? alertErr.message : String(alertErr) });
    }
    throw failure;
  }
}
