import { ConvexHttpClient } from 'convex/browser';
import { makeFunctionReference, type DefaultFunctionArgs, type FunctionReference } from 'convex/server';
import type { AccountSettings } from '../../domain/contracts';
import type { StorePort } from '../../ports/store';
import { classifyConvexError, ConvexHttpError, ConvexUnreachable } from './classify';

/** Convex's status for "the function ran and failed": the body carries the error envelope. */
const functionFailed = 560;

const recordReply = makeFunctionReference<'mutation'>('replies:record');
const upsertMessage = makeFunctionReference<'mutation', Record<string, unknown>, { created: boolean }>(
  'messages:upsert',
);
const watchCursor = makeFunctionReference<'query', { accountId: string; username: string }, string | null>(
  'watches:cursor',
);
const advanceWatch = makeFunctionReference<'mutation', { accountId: string; username: string; sinceId: string }>(
  'watches:advance',
);
const settings = makeFunctionReference<'query', { accountId: string }, AccountSettings | null>('accounts:settings');
const upsertSettings = makeFunctionReference<'mutation', Record<string, unknown>>('accounts:upsertSettings');
const listAccounts = makeFunctionReference<'query', Record<string, never>, AccountSettings[]>('accounts:list');
const version = makeFunctionReference<'query', Record<string, never>, { functions: number }>('version:get');

/**
 * The store port over Convex's HTTP API (the functions in convex/, or the sandbox's simulator of them). Every call
 * carries the backend's secret, which the functions require (convex/backend.ts).
 */
export function createConvexStore({
  url,
  secret,
  timeoutMs = 8_000,
}: {
  url: string;
  secret: string;
  timeoutMs?: number;
}): StorePort {
  const client = backendClient(url, secret, timeoutMs);
  return {
    async recordReply(record) {
      try {
        // skipQueue: activities run concurrently; the client's own queue would serialise them behind a slow call.
        const { accountId, tweetId, replyTweetId, text, workflowId } = record;
        await client.mutation(recordReply, { accountId, tweetId, replyTweetId, text, workflowId });
      } catch (err) {
        throw classifyConvexError(err);
      }
    },
    async saveMessage(message) {
      try {
        const { created } = await client.mutation(
          upsertMessage,
          // Exactly the validator's fields: Convex refuses any other, and callers may pass richer objects.
          {
            accountId: message.accountId,
            chatId: message.chatId,
            messageId: message.messageId,
            senderId: message.senderId,
            text: message.text,
            date: message.date,
          },
        );
        return { created };
      } catch (err) {
        throw classifyConvexError(err);
      }
    },
    async watchCursor(request) {
      try {
        return await client.query(watchCursor, request);
      } catch (err) {
        throw classifyConvexError(err);
      }
    },
    async advanceWatchCursor(request) {
      try {
        await client.mutation(advanceWatch, request);
      } catch (err) {
        throw classifyConvexError(err);
      }
    },
    async saveAccountSettings({ accountId, displayName, approval, chatsAnsweredWithAi, watchedUsernames }) {
      try {
        // Exactly the validator's fields; an absent display name is left out, as v.optional expects.
        const fields = { accountId, approval, chatsAnsweredWithAi, watchedUsernames };
        await client.mutation(upsertSettings, displayName ? { ...fields, displayName } : fields);
      } catch (err) {
        throw classifyConvexError(err);
      }
    },
    async accountSettings(accountId) {
      try {
        return await client.query(settings, { accountId });
      } catch (err) {
        throw classifyConvexError(err);
      }
    },
    async listAccounts() {
      try {
        return await client.query(listAccounts, {});
      } catch (err) {
        throw classifyConvexError(err);
      }
    },
    async functionsVersion() {
      try {
        return (await client.query(version, {})).functions;
      } catch (err) {
        throw classifyConvexError(err);
      }
    },
  };
}

/**
 * The deployment's functions as the backend calls them: every call with the secret they require (convex/backend.ts),
 * mutations without the client's queue (activities run concurrently; the queue would serialise them behind a slow
 * call). Shared with the account store in Convex (src/adapters/account-store/convex-account-store.ts).
 */
export function backendClient(url: string, secret: string, timeoutMs: number) {
  const client = new ConvexHttpClient(url, { fetch: statusPreservingFetch(timeoutMs) });
  return {
    query: <Result>(reference: FunctionReference<'query', 'public', DefaultFunctionArgs, Result>, args: object) =>
      client.query(reference, { ...args, secret }),
    mutation: <Result>(reference: FunctionReference<'mutation', 'public', DefaultFunctionArgs, Result>, args: object) =>
      client.mutation(reference, { ...args, secret }, { skipQueue: true }),
  };
}

function statusPreservingFetch(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    let response: Response;
    try {
      response = await fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new ConvexUnreachable(err instanceof DOMException && err.name === 'TimeoutError', err);
    }
    if (!response.ok && response.status !== functionFailed) {
      throw new ConvexHttpError(response.status, await response.text());
    }
    return response;
  };
}
