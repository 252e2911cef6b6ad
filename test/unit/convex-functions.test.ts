import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeFunctionReference } from 'convex/server';
import schema from '../../convex/schema';
import { functionsHash, functionsVersion } from '../../convex/version';
import { convexFunctionsVersion } from '../../src/adapters/convex/functions-version';

/**
 * The Convex functions production calls (convex/), run by convex-test against the schema: the same contract the
 * sandbox's Convex simulator implements.
 */
// convex-test finds the functions through this map (what Vite's import.meta.glob would give it) and its root by the
// `_generated` entry. Every module of convex/ is in it, so a new one is held to the checks below too.
const convexDir = join(__dirname, '..', '..', 'convex');
const modules = Object.fromEntries(
  ['_generated/server.ts', ...readdirSync(convexDir).filter((name) => name.endsWith('.ts'))].map((file) => [
    `../convex/${file}`,
    () => import(join(convexDir, file)) as Promise<Record<string, unknown>>,
  ]),
);
/** The deployment's STEADFAST_CONVEX_SECRET (`npx convex env set`), which the functions read from their environment. */
const secret = 'the-backend-secret';
process.env.STEADFAST_CONVEX_SECRET = secret;

/** convex-test is an ES module; it sees convex's ESM typings, this CommonJS project the CJS ones: same runtime. */
async function newDeployment() {
  const { convexTest } = await import('convex-test');
  return convexTest({ schema: schema as unknown as NonNullable<Parameters<typeof convexTest>[0]['schema']>, modules });
}
type Deployment = Awaited<ReturnType<typeof newDeployment>>;

/** The deployment as Steadfast's backend calls it: every call with the secret. */
function asBackend(t: Deployment) {
  const withSecret = (args: object) => ({ ...args, secret });
  return {
    query: (ref: Parameters<Deployment['query']>[0], args: object) => t.query(ref, withSecret(args)),
    mutation: (ref: Parameters<Deployment['mutation']>[0], args: object) => t.mutation(ref, withSecret(args)),
  };
}
const newConvex = async () => asBackend(await newDeployment());
const upsertMessage = makeFunctionReference<'mutation'>('messages:upsert');
const byChat = makeFunctionReference<'query'>('messages:byChat');
const recordReply = makeFunctionReference<'mutation'>('replies:record');
const replyByTweet = makeFunctionReference<'query'>('replies:byTweet');
const watchCursor = makeFunctionReference<'query'>('watches:cursor');
const advanceWatch = makeFunctionReference<'mutation'>('watches:advance');
const settings = makeFunctionReference<'query'>('accounts:settings');
const upsertSettings = makeFunctionReference<'mutation'>('accounts:upsertSettings');
const listAccounts = makeFunctionReference<'query'>('accounts:list');
const version = makeFunctionReference<'query'>('version:get');
const getSecret = makeFunctionReference<'query'>('accountSecrets:get');
const putSecret = makeFunctionReference<'mutation'>('accountSecrets:put');

const message = (messageId: number, text = `message ${messageId}`) => ({
  accountId: 'alice',
  chatId: '555',
  messageId,
  senderId: '555',
  text,
  date: 1_800_000_000 + messageId,
});

describe('Convex functions (convex-test)', () => {
  test('messages:upsert stores a message once, however often it is synced', async () => {
    const t = await newConvex();
    const first = (await t.mutation(upsertMessage, message(1))) as { id: string; created: boolean };
    const again = (await t.mutation(upsertMessage, message(1, 'a retried sync'))) as { id: string; created: boolean };
    await t.mutation(upsertMessage, message(2));
    assert.deepEqual([first.created, again.created, again.id], [true, false, first.id]);
    const stored = (await t.query(byChat, { accountId: 'alice', chatId: '555' })) as { text: string }[];
    assert.deepEqual(
      stored.map((m) => m.text),
      ['message 1', 'message 2'],
    );
  });

  test('the same message id in another chat or account is another message', async () => {
    const t = await newConvex();
    await t.mutation(upsertMessage, message(7));
    const otherChat = (await t.mutation(upsertMessage, { ...message(7), chatId: '-42' })) as unknown as {
      created: boolean;
    };
    const otherAccount = (await t.mutation(upsertMessage, { ...message(7), accountId: 'bob' })) as unknown as {
      created: boolean;
    };
    assert.deepEqual([otherChat.created, otherAccount.created], [true, true]);
  });

  test('arguments are validated: a bad message is refused, naming the field', async () => {
    const t = await newConvex();
    await assert.rejects(
      t.mutation(upsertMessage, { ...message(3), messageId: 'three' }),
      /Validator error: Expected `number`, got `three`/,
    );
    await assert.rejects(t.mutation(upsertMessage, { accountId: 'alice' }), /chatId|Object is missing/);
  });

  test('replies:record is idempotent by account and tweet', async () => {
    const t = await newConvex();
    const reply = { accountId: 'alice', tweetId: '10', replyTweetId: '11', text: 'hi', workflowId: 'reply:alice:10' };
    const first = (await t.mutation(recordReply, reply)) as string;
    const again = (await t.mutation(recordReply, reply)) as string;
    assert.equal(again, first);
    const stored = (await t.query(replyByTweet, { accountId: 'alice', tweetId: '10' })) as { replyTweetId: string };
    assert.equal(stored.replyTweetId, '11');
    assert.equal(await t.query(replyByTweet, { accountId: 'alice', tweetId: '99' }), null);
  });

  test('accounts:settings is null for an unknown account, and returns what was stored', async () => {
    const t = await newConvex();
    assert.equal(await t.query(settings, { accountId: 'alice' }), null);
    const stored = { approval: 'owner', chatsAnsweredWithAi: ['555'], watchedUsernames: ['nasa'] } as const;
    await t.mutation(upsertSettings, { accountId: 'alice', ...stored });
    await t.mutation(upsertSettings, { accountId: 'alice', ...stored, approval: 'auto' });
    assert.deepEqual(await t.query(settings, { accountId: 'alice' }), {
      accountId: 'alice',
      ...stored,
      approval: 'auto',
    });
  });

  test('accounts:list lists every account with its settings', async () => {
    const t = await newConvex();
    assert.deepEqual(await t.query(listAccounts, {}), []);
    const lists = { chatsAnsweredWithAi: [], watchedUsernames: [] };
    await t.mutation(upsertSettings, { accountId: 'alice', approval: 'owner', ...lists });
    await t.mutation(upsertSettings, { accountId: 'bob', displayName: 'Bob', approval: 'auto', ...lists });
    assert.deepEqual(await t.query(listAccounts, {}), [
      { accountId: 'alice', approval: 'owner', ...lists },
      { accountId: 'bob', displayName: 'Bob', approval: 'auto', ...lists },
    ]);
  });

  test('every function refuses a caller without the backend secret, and reads or changes nothing', async () => {
    const t = await newDeployment();
    const backend = asBackend(t);
    // Something to read and to change: a message, settings, a secret's document.
    await backend.mutation(upsertMessage, message(1, 'a private message'));
    const lists = { chatsAnsweredWithAi: [], watchedUsernames: ['nasa'] };
    await backend.mutation(upsertSettings, { accountId: 'alice', approval: 'owner', ...lists });
    const session = { accountId: 'alice', field: 'telegramSession' };
    await backend.mutation(putSecret, { ...session, keyId: 'k1', sealed: 'c2Vzc2lvbg==', basedOn: null });
    const everything = () =>
      t.run(async (ctx): Promise<Record<string, unknown[]>> => {
        const all: Record<string, unknown[]> = {};
        for (const table of Object.keys(schema.tables)) all[table] = await ctx.db.query(table as never).collect();
        return all;
      });
    const before = await everything();
    // A well-formed call of each public function, as an outsider who has the deployment's URL would make it.
    const calls: Record<string, [kind: 'query' | 'mutation', args: Record<string, unknown>]> = {
      'messages:upsert': ['mutation', message(2, 'injected')],
      'messages:byChat': ['query', { accountId: 'alice', chatId: '555' }],
      'replies:record': [
        'mutation',
        { accountId: 'alice', tweetId: '1', replyTweetId: '2', text: 'x', workflowId: 'w' },
      ],
      'replies:byTweet': ['query', { accountId: 'alice', tweetId: '1' }],
      'watches:cursor': ['query', { accountId: 'alice', username: 'nasa' }],
      'watches:advance': ['mutation', { accountId: 'alice', username: 'nasa', sinceId: '99' }],
      'accounts:settings': ['query', { accountId: 'alice' }],
      'accounts:list': ['query', {}],
      'accounts:upsertSettings': ['mutation', { accountId: 'alice', approval: 'auto', ...lists }],
      'accountSecrets:get': ['query', session],
      'accountSecrets:put': ['mutation', { ...session, keyId: 'k2', sealed: null, basedOn: null }],
      'version:get': ['query', {}],
      'backup:exportPage': ['query', { table: 'messages', cursor: null }],
      'backup:importDocuments': ['mutation', { table: 'messages', documents: [message(3, 'injected')] }],
    };
    // Every public function of convex/ is in the table: a new one must be refused too.
    const exported = Object.entries(modules).flatMap(([path, load]) =>
      path.includes('_generated') ? [] : [[path.replace(/^\.\.\/convex\/|\.ts$/g, ''), load] as const],
    );
    const publicFunctions: string[] = [];
    for (const [module, load] of exported) {
      const loaded = (await load()) as Record<string, { isPublic?: boolean } | undefined>;
      for (const [name, value] of Object.entries(loaded)) {
        if (value?.isPublic) publicFunctions.push(`${module}:${name}`);
      }
    }
    assert.deepEqual(publicFunctions.sort(), Object.keys(calls).sort());
    for (const [path, [kind, args]] of Object.entries(calls)) {
      const call = (given: object) =>
        kind === 'query'
          ? t.query(makeFunctionReference<'query'>(path), given)
          : t.mutation(makeFunctionReference<'mutation'>(path), given);
      await assert.rejects(call(args), /Validator error|secret/, `${path} without the secret`);
      await assert.rejects(
        call({ ...args, secret: 'a-guess' }),
        (err: unknown) => (err as { data?: { code?: string } }).data?.code === 'unauthorized',
        `${path} with a wrong secret`,
      );
    }
    assert.deepEqual(await everything(), before, 'nothing read out, nothing changed');
    delete process.env.STEADFAST_CONVEX_SECRET;
    await assert.rejects(backend.query(listAccounts, {}), /STEADFAST_CONVEX_SECRET is not set on this deployment/);
    process.env.STEADFAST_CONVEX_SECRET = secret;
  });

  test('backup:exportPage gives every document a page at a time; importDocuments brings back what is missing only', async () => {
    const t = await newDeployment();
    const backend = asBackend(t);
    for (let i = 1; i <= 1203; i += 1) await backend.mutation(upsertMessage, message(i, `message ${i}`));
    const session = { accountId: 'alice', field: 'telegramSession' };
    await backend.mutation(putSecret, { ...session, keyId: 'k1', sealed: 'b2xk', basedOn: null });
    const exportPage = makeFunctionReference<'query'>('backup:exportPage');
    const importDocuments = makeFunctionReference<'mutation'>('backup:importDocuments');
    const exported: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page = (await backend.query(exportPage, { table: 'messages', cursor })) as {
        documents: Record<string, unknown>[];
        cursor: string;
        done: boolean;
      };
      exported.push(...page.documents);
      if (page.done) break;
      cursor = page.cursor;
    }
    assert.equal(exported.length, 1203);
    assert.ok(exported.every((doc) => !('_id' in doc) && !('_creationTime' in doc)));
    const secrets = (await backend.query(exportPage, { table: 'accountSecrets', cursor: null })) as {
      documents: Record<string, unknown>[];
    };

    // Into a new deployment that has since written a newer secret: the messages come back, the newer secret stays.
    const fresh = asBackend(await newDeployment());
    await fresh.mutation(putSecret, { ...session, keyId: 'k2', sealed: 'bmV3', basedOn: null });
    const restored: unknown = await fresh.mutation(importDocuments, { table: 'messages', documents: exported });
    assert.deepEqual(restored, { inserted: 1203, kept: 0 });
    assert.deepEqual(await fresh.mutation(importDocuments, { table: 'messages', documents: exported.slice(0, 5) }), {
      inserted: 0,
      kept: 5,
    });
    assert.deepEqual(await fresh.mutation(importDocuments, { table: 'accountSecrets', documents: secrets.documents }), {
      inserted: 0,
      kept: 1,
    });
    assert.equal(((await fresh.query(getSecret, session)) as { sealed: string }).sealed, 'bmV3');
    await assert.rejects(
      fresh.mutation(importDocuments, { table: 'messages', documents: [{ accountId: 'alice', text: 'no key' }] }),
      /Validator|validator|schema/,
    );
  });

  test('version:get names the version of the functions, which the code that calls them expects', async () => {
    const t = await newConvex();
    assert.deepEqual(await t.query(version, {}), { functions: convexFunctionsVersion });
  });

  test('a change to convex/ comes with a new version: the hash of the functions and schema is recorded with it', () => {
    const dir = join(__dirname, '..', '..', 'convex');
    const hash = createHash('sha256');
    for (const file of readdirSync(dir)
      .filter((name) => name.endsWith('.ts') && name !== 'version.ts')
      .sort()) {
      hash.update(file).update(readFileSync(join(dir, file)));
    }
    const now = hash.digest('hex').slice(0, 16);
    assert.equal(
      functionsHash,
      now,
      `convex/ changed: bump functionsVersion in convex/version.ts (and convexFunctionsVersion in src/adapters/convex/functions-version.ts) and set functionsHash to '${now}'`,
    );
    assert.equal(functionsVersion, convexFunctionsVersion);
  });

  test('watches: no cursor before the first poll; it only moves forward', async () => {
    const t = await newConvex();
    const watch = { accountId: 'alice', username: 'nasa' };
    assert.equal(await t.query(watchCursor, watch), null);
    await t.mutation(advanceWatch, { ...watch, sinceId: '100' });
    await t.mutation(advanceWatch, { ...watch, sinceId: '99' });
    assert.equal(await t.query(watchCursor, watch), '100');
    await t.mutation(advanceWatch, { ...watch, sinceId: '1000' });
    assert.equal(await t.query(watchCursor, watch), '1000', 'compared as numbers, not strings');
  });

  test('accountSecrets:put without a version writes whatever is stored, and bumps the version', async () => {
    const t = await newConvex();
    const session = { accountId: 'alice', field: 'telegramSession' };
    assert.equal(await t.query(getSecret, session), null);
    const put = (sealed: string) => t.mutation(putSecret, { ...session, keyId: 'k1', sealed, basedOn: null });
    assert.deepEqual(await put('c2VhbGVk'), { ok: true, version: 1 });
    assert.deepEqual(await put('YWdhaW4='), { ok: true, version: 2 });
    assert.deepEqual(await t.query(getSecret, session), { version: 2, keyId: 'k1', sealed: 'YWdhaW4=' });
    assert.equal(await t.query(getSecret, { ...session, field: 'xTokens' }), null, 'one document per field');
    await assert.rejects(t.query(getSecret, { ...session, field: 'password' }), /Validator error/);
  });

  test('accountSecrets:put based on a version writes only if it is still the stored one', async () => {
    const t = await newConvex();
    const tokens = { accountId: 'alice', field: 'xOAuth2', keyId: 'k1' };
    assert.deepEqual(await t.mutation(putSecret, { ...tokens, sealed: 'djE=', basedOn: 0 }), { ok: true, version: 1 });
    assert.deepEqual(await t.mutation(putSecret, { ...tokens, sealed: 'djI=', basedOn: 1 }), { ok: true, version: 2 });
    // A second writer that read version 1 is refused, and told the stored version.
    assert.deepEqual(await t.mutation(putSecret, { ...tokens, sealed: 'c3RhbGU=', basedOn: 1 }), {
      ok: false,
      version: 2,
    });
    assert.deepEqual(await t.mutation(putSecret, { ...tokens, sealed: 'bmV3', basedOn: 0 }), { ok: false, version: 2 });
    assert.deepEqual(await t.query(getSecret, { accountId: 'alice', field: 'xOAuth2' }), {
      version: 2,
      keyId: 'k1',
      sealed: 'djI=',
    });
  });

  test('accountSecrets:put with no sealed value deletes the field and leaves the others', async () => {
    const t = await newConvex();
    const password = { accountId: 'alice', field: 'twoFactorPassword', keyId: 'k1' };
    await t.mutation(putSecret, { ...password, sealed: 'cHc=', basedOn: null });
    await t.mutation(putSecret, { ...password, field: 'pendingLogin', sealed: 'bG9naW4=', basedOn: null });
    assert.deepEqual(await t.mutation(putSecret, { ...password, sealed: null, basedOn: null }), {
      ok: true,
      version: 2,
    });
    assert.equal(await t.query(getSecret, { accountId: 'alice', field: 'twoFactorPassword' }), null);
    assert.equal(
      ((await t.query(getSecret, { accountId: 'alice', field: 'pendingLogin' })) as { sealed: string }).sealed,
      'bG9naW4=',
    );
    // Deleting what is not there is no error; the next write starts again at version 1.
    assert.deepEqual(await t.mutation(putSecret, { ...password, sealed: null, basedOn: null }), {
      ok: true,
      version: 1,
    });
    assert.deepEqual(await t.mutation(putSecret, { ...password, sealed: 'cHcy', basedOn: 0 }), {
      ok: true,
      version: 1,
    });
  });
});
