import type { Services } from '../ports/services';
import type { ReplyRecord } from '../ports/store';

/**
 * The in-process sandbox: the four ports served from memory so that a worker with no credentials can run the whole
 * reply pipeline. The wire-format simulators of DESIGN.md ("Sandbox") replace it behind the same ports.
 */
export interface InMemorySandbox extends Services {
  state(): {
    tweets: { id: string; inReplyTo: string; text: string; accountId: string }[];
    replies: ReplyRecord[];
    telegram: { accountId: string; chatId: string; text: string }[];
  };
}

export function createInMemorySandbox(): InMemorySandbox {
  const tweets: { id: string; inReplyTo: string; text: string; accountId: string }[] = [];
  const replies = new Map<string, ReplyRecord>();
  const telegram: { accountId: string; chatId: string; text: string }[] = [];
  // Snowflake-like ids, unique across worker processes: time in ms, then this process, then a counter.
  let nextTweetId = BigInt(Date.now()) * 1_000_000n + BigInt(process.pid % 1000) * 1000n;

  return {
    ai: {
      async draftReply({ tweet }) {
        const who = tweet.authorUsername ? `@${tweet.authorUsername} ` : '';
        return `${who}Thanks for sharing this: "${tweet.text.slice(0, 80)}". Here is what we think.`;
      },
    },
    x: {
      async postReply({ accountId, inReplyToTweetId, text }) {
        const id = String(nextTweetId++);
        tweets.push({ id, inReplyTo: inReplyToTweetId, text, accountId });
        return { id };
      },
    },
    store: {
      async recordReply(record) {
        replies.set(`${record.accountId}:${record.tweetId}`, record);
      },
    },
    telegram: {
      async sendMessage(message) {
        telegram.push(message);
        return { messageId: telegram.length };
      },
      openSession() {
        return Promise.reject(new Error('Telegram sessions need the Telegram simulator (src/sandbox/telegram)'));
      },
      startLogin() {
        return Promise.reject(new Error('Telegram logins need the Telegram simulator (src/sandbox/telegram)'));
      },
    },
    state: () => ({ tweets: [...tweets], replies: [...replies.values()], telegram: [...telegram] }),
  };
}
