import type {
  AccountSettings,
  OwnerMessageRequest,
  OwnerNotice,
  ReplyRecord,
  SessionSlice,
  SyncPoint,
  TelegramMessage,
  Tweet,
  XTokenState,
  XTweetView,
} from '../domain/contracts';

/**
 * Every activity the workflows call, as they see it: declared here, beside them, so that workflow code depends on
 * nothing above it. The workers' implementation (src/activities/index.ts, `createActivities`) is held to it by its
 * return type.
 */
export interface Activities {
  runControlBot(): Promise<void>;
  loginWorkerQueue(): Promise<string>;
  sendLoginCode(request: { accountId: string; phone: string }): Promise<void>;
  signInWithCode(request: {
    accountId: string;
    phone: string;
    code: string;
  }): Promise<'logged-in' | 'password-needed' | 'code-invalid' | 'code-expired'>;
  checkLoginPassword(request: {
    accountId: string;
    phone: string;
  }): Promise<'logged-in' | 'password-invalid' | 'password-missing'>;
  endLogin(request: { accountId: string }): Promise<void>;
  hurrySession(request: { accountId: string }): Promise<{
    held: boolean;
  }>;
  runSession(request: { accountId: string; from?: SyncPoint; sliceMs: number }): Promise<SessionSlice>;
  notifyOwner(request: {
    accountId: string;
    text: string;
    kind?: OwnerNotice['kind'];
    ref?: string;
    key?: string;
    deadLetter?: true;
    settles?: string;
  }): Promise<void>;
  /** Results recorded before edits were taken (2026-12) are empty: no message id. */
  sendOwnerMessage(request: OwnerMessageRequest): Promise<{ messageId: number } | undefined>;
  sendAsControlBot(request: OwnerMessageRequest & { key: string }): Promise<{ messageId: number } | undefined>;
  locateControlBot(): Promise<{
    hostQueue?: string;
  }>;
  sendAsAccount(request: { accountId: string; chatId: string; text: string; key: string }): Promise<void>;
  locateSession(request: { accountId: string }): Promise<{
    hostQueue?: string;
  }>;
  sendChatMessage(request: { accountId: string; chatId: string; text: string; key?: string }): Promise<{
    messageId: number;
  }>;
  recordReply(record: ReplyRecord): Promise<void>;
  saveMessage(
    message: TelegramMessage & {
      accountId: string;
    },
  ): Promise<{
    created: boolean;
  }>;
  watchCursor(request: { accountId: string; username: string }): Promise<string | null>;
  advanceWatchCursor(request: { accountId: string; username: string; sinceId: string }): Promise<void>;
  loadAccountSettings(request: { accountId: string }): Promise<AccountSettings | null>;
  xTokenState(request: { accountId: string }): Promise<XTokenState | null>;
  refreshXToken(request: { accountId: string; basedOn: number }): Promise<XTokenState>;
  resumeRepliesAwaitingAuthorisation(request: { accountId: string }): Promise<number>;
  postReply(request: {
    accountId: string;
    inReplyToTweetId: string;
    text: string;
    earlierMayHavePosted?: boolean;
  }): Promise<{
    replyTweetId: string;
    attempt: number;
  }>;
  recentTweets(request: { accountId: string; username: string; sinceId?: string }): Promise<{
    tweets: XTweetView[];
    newestId?: string;
  }>;
  generateReply(request: { accountId: string; tweet: Tweet; avoid?: string[] }): Promise<{
    text: string;
    attempt: number;
  }>;
  generateChatAnswer(request: {
    accountId: string;
    chatId: string;
    messages: {
      senderId: string;
      text: string;
    }[];
  }): Promise<string>;
}
