import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import { keyRingOf } from '../encryption/key-ring';
import { convexFunctionsVersion } from '../adapters/convex/functions-version';
import { ownerDirectory } from '../owner/owner-directory';
import { EncryptionCodec, encryptedEncoding, UnknownEncryptionKey } from '../encryption/payload-codec';
import { runningSessions, sessionStatus } from '../temporal/account-sessions';
import type { WiredServices } from '../adapters/create-services';
import { searchAttributeKeys } from '../workflows/search-attributes';

/** One line of the report: healthy or not, what was seen, and when not, what to do. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * `health --deep`: every credential checked with one cheap authenticated call, so a wrong key, a revoked token, a bot
 * nobody owns or a deployment of Convex that lags behind the code shows before work fails on it. Each line says what
 * to do when it fails.
 */
export async function deepChecks(
  config: Config,
  client: Client | undefined,
  services: WiredServices,
): Promise<Check[]> {
  const checks: Check[] = [];
  const check = async (name: string, run: () => Promise<string>, fix: (message: string) => string) => {
    try {
      checks.push({ name, ok: true, detail: await run() });
    } catch (err) {
      const message = err instanceof Failed ? err.message : said(err);
      checks.push({ name, ok: false, detail: err instanceof Failed ? message : fix(message) });
    }
  };
  if (client) {
    await check(
      'namespace',
      () => namespaceCheck(client, config),
      (m) => m,
    );
    await check(
      'encryption',
      () => encryptionCheck(client, config),
      (m) => m,
    );
  }
  const { ai, store, x, telegram } = services.services;
  await check(
    'OpenAI',
    async () => {
      const { model, available } = await ai.checkAccess();
      if (!available)
        throw new Failed(`the key is accepted, but the model ${model} is not among those it may use: set OPENAI_MODEL`);
      return `the key is accepted; model ${model} (${config.openai.baseUrl ?? 'https://api.openai.com/v1'})`;
    },
    (m) => `${m}: set OPENAI_API_KEY to a key from https://platform.openai.com/api-keys`,
  );
  await check(
    'Convex',
    async () => {
      const deployed = await store.functionsVersion();
      if (deployed !== convexFunctionsVersion) {
        throw new Failed(
          `${config.convex.url ?? 'the sandbox'} has Steadfast's functions at version ${deployed}, this code expects ${convexFunctionsVersion}: deploy them (npx convex deploy, docs/going-live.md)`,
        );
      }
      return `functions at version ${deployed} (${config.convex.url ?? 'the sandbox'})`;
    },
    (m) =>
      /Could not find public function/i.test(m)
        ? `${config.convex.url ?? ''} has no Steadfast functions: deploy them (npx convex deploy, docs/going-live.md)`
        : /STEADFAST_CONVEX_SECRET/.test(m)
          ? `${m}: set STEADFAST_CONVEX_SECRET to the value the deployment was given (npx convex env set, docs/going-live.md)`
          : `${m}: check CONVEX_URL`,
  );
  const owners = ownerDirectory(services.accounts, config.ownerTelegramId, config.adminTelegramIds);
  await check(
    'owner',
    async () => {
      const owner = await owners.owner();
      if (!owner) throw new Failed('nobody is the owner yet: run `steadfast owner pair` and send the code to the bot');
      return `Telegram user ${owner.telegramUserId}, ${owner.configured ? 'set by STEADFAST_OWNER_TELEGRAM_ID' : 'paired'}`;
    },
    (m) => `${m}: check the account store (STEADFAST_ACCOUNT_STORE)`,
  );
  await check(
    'control bot',
    async () => {
      const bot = await telegram.checkBot();
      return `Telegram takes its token${bot.username ? `: @${bot.username}` : ''}`;
    },
    (m) =>
      /ACCESS_TOKEN_INVALID/.test(m)
        ? `Telegram refused TELEGRAM_BOT_TOKEN (${m}): copy the token @BotFather gave the bot`
        : /API_ID_INVALID/.test(m)
          ? `Telegram refused TELEGRAM_API_ID and TELEGRAM_API_HASH (${m}): copy them from https://my.telegram.org/apps`
          : `${m}: check Telegram's reach (TELEGRAM_SERVER)`,
  );
  const live = new Map(client ? (await runningSessions(client)).map((s) => [s.accountId, s.workflowId]) : []);
  let accounts: { accountId: string }[] = [];
  try {
    accounts = await store.listAccounts();
  } catch {
    // Said by the Convex line above.
  }
  for (const { accountId } of accounts) {
    await check(
      `X ${accountId}`,
      async () => {
        const me = await x.whoAmI(accountId);
        return `signs in as @${me.username} (${me.oauth})`;
      },
      (m) => `${m}: connect it again with \`steadfast account connect-x ${accountId}\``,
    );
    const workflowId = live.get(accountId);
    await check(
      `Telegram ${accountId}`,
      async () => {
        if (workflowId && client) {
          // Its session is held by a worker: a second connection with the same key is not allowed, so ask the session.
          const view = await sessionStatus(client, workflowId);
          if (view.state === 'needs-login')
            throw new Failed(
              `its session needs a new login (${view.lastError ?? 'revoked'}): \`steadfast account login ${accountId} --phone <+number>\`, then \`account relogin ${accountId}\``,
            );
          return `session ${view.state}${view.latencyMs === undefined ? '' : `, ping ${view.latencyMs} ms`}`;
        }
        const me = await telegram.whoIs(accountId);
        return `logged in as ${me.username ? `@${me.username}` : me.name} (no session running: \`steadfast account add ${accountId}\` starts it)`;
      },
      (m) => `${m}: log it in with \`steadfast account login ${accountId} --phone <+number>\``,
    );
  }
  return checks;
}

/** A check that failed with its own words (no generic fix appended). */
class Failed extends Error {}

function said(err: unknown): string {
  if (err instanceof ApplicationFailure) return `${err.type ?? 'error'}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

async function namespaceCheck(client: Client, config: Config): Promise<string> {
  const { namespace, address } = config.temporal;
  const setup = `TEMPORAL_ADDRESS=${address} TEMPORAL_NAMESPACE=${namespace} sh deploy/temporal/setup-namespace.sh`;
  try {
    await client.workflowService.describeNamespace({ namespace });
  } catch (err) {
    throw new Failed(`no namespace ${namespace} at ${address} (${said(err)}): create it with \`${setup}\``);
  }
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  const custom = new Set(Object.keys(customAttributes ?? {}));
  const missing = searchAttributeKeys.map((key) => key.name).filter((name) => !custom.has(name));
  if (missing.length) {
    throw new Failed(
      `namespace ${namespace} lacks the search attributes ${missing.join(', ')}: register them with \`${setup}\``,
    );
  }
  return `${namespace}, with the search attributes ${searchAttributeKeys.map((key) => key.name).join(', ')}`;
}

/** The newest workflow's input opens with the configured keys (or, with encryption off, is not encrypted). */
async function encryptionCheck(client: Client, config: Config): Promise<string> {
  let newest: { workflowId: string; runId: string } | undefined;
  for await (const execution of client.workflow.list({ pageSize: 1 })) {
    newest = execution;
    break;
  }
  if (!newest) return 'no workflow yet to read back';
  const history = await client.workflow.getHandle(newest.workflowId, newest.runId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payloads = (started?.input?.payloads ?? []) as temporal.api.common.v1.IPayload[];
  const encrypted = payloads.filter(
    (p) => new TextDecoder().decode(p.metadata?.encoding ?? undefined) === encryptedEncoding,
  );
  const keys = keyRingOf(config.temporal.encryption);
  if (!keys) {
    if (encrypted.length) {
      throw new Failed(
        `STEADFAST_ENCRYPTION is off, but the newest history (${newest.workflowId}) is encrypted: set STEADFAST_ENCRYPTION_KEY`,
      );
    }
    return 'off: payloads are stored readable (STEADFAST_ENCRYPTION=off)';
  }
  if (!encrypted.length) return `on; the newest history (${newest.workflowId}) predates encryption`;
  try {
    await new EncryptionCodec(keys).decode(
      encrypted.map((p) => ({ metadata: p.metadata ?? {}, data: p.data ?? new Uint8Array() })),
    );
  } catch (err) {
    if (err instanceof UnknownEncryptionKey) {
      throw new Failed(`the newest history (${newest.workflowId}) does not open: ${err.message}`);
    }
    throw new Failed(
      `the newest history (${newest.workflowId}) does not open with the key of its id (${said(err)}): STEADFAST_ENCRYPTION_KEY is not the key it was written with`,
    );
  }
  return `key ${keys.current.id} opens the newest history (${newest.workflowId})`;
}
