import type { Tweet } from '../domain/contracts';

/** What the workflows need of an OpenAI-compatible model. */
export interface AiPort {
  /**
   * Drafts a reply to a tweet in the account's voice. `avoid`: earlier drafts X refused as duplicates of posts the
   * account already made; the new draft must say it in other words.
   */
  draftReply(request: { accountId: string; tweet: Tweet; avoid?: string[] }): Promise<string>;
  /** One answer to a batch of messages someone sent the account in a chat, oldest first. */
  answerChat(request: {
    accountId: string;
    chatId: string;
    messages: { senderId: string; text: string }[];
    /** Aborts the request (the owner interrupted the answer). */
    signal?: AbortSignal;
  }): Promise<string>;
  /** Whether the key is accepted (one cheap call: the models it may use), and the configured model among them. */
  checkAccess(): Promise<{ model: string; available: boolean }>;
}
