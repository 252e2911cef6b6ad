import type { Tweet } from '../workflows/contracts';

/** What the workflows need of an OpenAI-compatible model. */
export interface AiPort {
  /** Drafts a reply to a tweet in the account's voice. */
  draftReply(request: { accountId: string; tweet: Tweet }): Promise<string>;
}
