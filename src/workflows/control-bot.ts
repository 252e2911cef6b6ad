import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from './activity-types';
import { controlBotHostQuery, controlBotHostSignal } from './messages';
import { policies } from './policies';

const { runControlBot } = proxyActivities<Activities>({
  ...policies.telegramSession,
  summary: "Hold the control bot's connection and answer the owner's commands",
});

/**
 * The owner's control bot on Telegram (id `control-bot`, one per deployment): its session activity reads the owner's
 * commands and answers them. It reconnects as an account's session does; a refused token fails it (a dead letter).
 */
export async function controlBotWorkflow(): Promise<void> {
  // Where the live session is, for the owner's outbox (handlers add no command: histories replay as they were).
  let hostQueue: string | undefined;
  setHandler(controlBotHostSignal, (host) => void (hostQueue = host.hostQueue));
  setHandler(controlBotHostQuery, () => ({ hostQueue }));
  await runControlBot();
}
