import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { policies } from './policies';

const { runControlBot } = proxyActivities<Activities>(policies.telegramSession);

/**
 * The owner's control bot on Telegram (id `control-bot`, one per deployment): its session activity reads the owner's
 * commands and answers them. It reconnects as an account's session does; a refused token fails it (a dead letter).
 */
export async function controlBotWorkflow(): Promise<void> {
  await runControlBot();
}
