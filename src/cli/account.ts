import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Config } from '../config';
import { MissingAccountSecret } from '../ports/account-store';
import { runningSessions, sessionStatus } from '../temporal/account-sessions';
import { connectClient } from '../temporal/connection';
import { startOnce } from '../temporal/start-once';
import { startAccountSession } from '../temporal/start-session';
import { xTokensAdded } from '../temporal/signal-x-refresher';
import { durationMs } from '../domain/duration';
import { XConnectRefused } from '../adapters/x/x-connect';
import { SandboxNotRunning, createServices, xConnector, type WiredServices } from '../adapters/create-services';
import { loginWorkflow } from '../workflows';
import { controlBotAccount, workflowIds } from '../domain/contracts';
import {
  enterCodeUpdate,
  loginStatusQuery,
  notAwaitingThisStep,
  passwordReadyUpdate,
  reloginSignal,
  sessionPauseSignal,
  sessionResumeSignal,
  sessionStopSignal,
  type LoginStatusView,
  type SessionStatusView,
} from '../workflows/messages';
import { accountIdKey } from '../workflows/search-attributes';
import {
  accountId,
  action,
  chatId,
  CliError,
  commandName,
  duration,
  json,
  noArguments,
  repeatable,
  runningWorkflow,
  waitFor,
  webUiLink,
} from './common';
import { readSecret } from './secrets';
import { consentAnswer } from './x-consent';
import { workflowSummaries } from '../domain/summaries';

/**
 * The owner's Telegram accounts: settings in Convex, secrets in the account store, one session workflow each
 * (`account:{id}`), and a login workflow (`login:{id}`) fed with the code and the 2FA password.
 */
export function define(group: Command): void {
  group
    .command('add')
    .description("add or update an account's settings (and X tokens); start its session if it is logged in")
    .argument('<account-id>')
    .option('--approval <owner|auto>', 'how its replies are posted (default: as before, else owner)')
    .option('--name <display name>', 'how the owner names it')
    .option('--ai-chat <chat id>', 'a chat answered with AI (repeat for more; negative for a group)', repeatable)
    .option('--x-tokens', 'ask for its X access token and secret (OAuth 1.0a; hidden input)')
    .option(
      '--x-oauth2',
      "ask for its X OAuth 2.0 app's client id and secret, and its first access and refresh tokens (hidden input)",
    )
    .option('--x-expires-in <duration>', 'how long the OAuth 2.0 access token entered is valid', '2h')
    .option('--json', 'print JSON')
    .action(action(addOptions, add));
  group
    .command('connect-x')
    .description("connect an account to its X user: X's consent page (OAuth 2.0 with PKCE), or a PIN (OAuth 1.0a)")
    .argument('<account-id>')
    .option('--oauth1', 'OAuth 1.0a by PIN, with X_API_KEY and X_API_SECRET (default: OAuth 2.0 with X_CLIENT_ID)')
    .option('--redirect-uri <url>', "the app's callback URL, as registered in X's developer portal", defaultCallback)
    .option('--json', 'print JSON')
    .action(action(connectOptions, connectX));
  group
    .command('login')
    .description('log an account in to Telegram: sends a code to its apps')
    .argument('<account-id>')
    .option('--phone <+number>', 'the international phone number of the Telegram account')
    .option('--code-timeout <duration>', 'how long the code may take to arrive', '5m')
    .option('--json', 'print JSON')
    .action(action(loginOptions, login));
  group
    .command('code')
    .description('enter the login code Telegram sent')
    .argument('<account-id>')
    .argument('<code>')
    .option('--json', 'print JSON')
    .action(action(codeOptions, code));
  group
    .command('password')
    .description('enter the 2FA password (hidden input, or one line of standard input; kept in the account store)')
    .argument('<account-id>')
    .option('--json', 'print JSON')
    .action(action(z.object({ json, positionals: oneAccount }), password));
  const signal = (verb: string, summary: string, send: (handle: WorkflowHandle) => Promise<void>) =>
    group
      .command(verb)
      .description(summary)
      .argument('<account-id>')
      .action(
        action(z.object({ positionals: oneAccount }), (o, config) => sendTo(o.positionals[0], config, verb, send)),
      );
  signal('pause', 'disconnect the session and hold', (h) => h.signal(sessionPauseSignal));
  signal('resume', 'reconnect a paused session', (h) => h.signal(sessionResumeSignal));
  signal('stop', 'disconnect and end the session workflow', (h) => h.signal(sessionStopSignal));
  signal('relogin', 'reconnect with the session stored by a new login', (h) => h.signal(reloginSignal));
  group
    .command('status')
    .description("show an account's session (and login), or every running session")
    .argument('[account-id]')
    .option('--json', 'print JSON')
    .action(action(z.object({ json, positionals: z.union([oneAccount, noArguments]) }), status));
}

const account = accountId.refine(
  (id) => id !== controlBotAccount,
  `${controlBotAccount} is the control bot, not an account`,
);
const oneAccount = z.tuple([account], 'expected one account id');

/** The account store and Convex, as the worker sees them (the sandbox's when there are no credentials). */
async function services(config: Config): Promise<WiredServices> {
  return createServices(config).catch((err: unknown) => {
    throw err instanceof SandboxNotRunning ? new CliError(err.message) : err;
  });
}

const addOptions = z.object({
  approval: z.enum(['auto', 'owner'], { message: 'expected auto or owner' }).optional(),
  name: z.string().min(1).optional(),
  aiChat: z.array(chatId).optional(),
  xTokens: z.boolean().default(false),
  xOauth2: z.boolean().default(false),
  xExpiresIn: duration,
  json,
  positionals: oneAccount,
});

async function add(options: z.infer<typeof addOptions>, config: Config): Promise<void> {
  const [id] = options.positionals;
  const {
    services: { store },
    accounts,
  } = await services(config);
  // Secrets first: a failed prompt leaves nothing half done.
  const tokens = options.xTokens
    ? {
        accessToken: await readSecret(`X access token of ${id}`),
        accessSecret: await readSecret(`X access token secret of ${id}`),
      }
    : undefined;
  if (options.xTokens && options.xOauth2) {
    throw new CliError('--x-tokens and --x-oauth2: choose one way for the account to sign in to X');
  }
  const oauth2 = options.xOauth2 ? await readOAuth2Tokens(id, options.xExpiresIn) : undefined;
  // What is not given stays as it was.
  const existing = await store.accountSettings(id);
  const approval = options.approval ?? existing?.approval ?? 'owner';
  await store.saveAccountSettings({
    accountId: id,
    displayName: options.name ?? existing?.displayName,
    approval,
    chatsAnsweredWithAi: options.aiChat ?? existing?.chatsAnsweredWithAi ?? [],
    watchedUsernames: existing?.watchedUsernames ?? [],
  });
  if (tokens) await accounts.saveXTokens(id, tokens);
  const client = await connectClient(config.temporal);
  if (oauth2) {
    // Whatever was stored (a refused pair above all) gives way; the refresher keeps these fresh and wakes the
    // replies that waited for them.
    await accounts.saveXOAuth2(id, oauth2, null);
    await xTokensAdded(client, config.temporal.taskQueue, id);
  }
  const loggedIn = await accounts.telegramSession(id).then(
    () => true,
    (err: unknown) => {
      if (err instanceof MissingAccountSecret) return false;
      throw err;
    },
  );
  const session = loggedIn ? await startAccountSession(client, config.temporal.taskQueue, id) : undefined;
  const link = webUiLink(config, workflowIds.account(id));
  if (options.json) {
    return console.log(JSON.stringify({ accountId: id, created: !existing, loggedIn, session, webUi: link }));
  }
  console.log(`${existing ? 'Updated' : 'Added'} account ${id} (approval ${approval}).`);
  if (oauth2) {
    console.log(
      `Its X OAuth 2.0 tokens are stored; ${workflowIds.xToken(id)} refreshes them before they expire: ${webUiLink(config, workflowIds.xToken(id))}`,
    );
  }
  console.log(
    !session
      ? `Not logged in to Telegram yet: ${commandName} account login ${id} --phone <+number>`
      : session.started
        ? `Started its Telegram session ${session.workflowId}.`
        : `Its Telegram session ${session.workflowId} is running; changed AI chats apply within 10 minutes.`,
  );
  console.log(link);
}

/** The app's credentials and the first tokens of X's OAuth 2.0 consent, typed hidden; issued now. */
async function readOAuth2Tokens(id: string, expiresIn: string) {
  const clientId = await readSecret(`X OAuth 2.0 client id of the app`);
  const clientSecret = await readSecret(`X OAuth 2.0 client secret of the app`);
  const accessToken = await readSecret(`X OAuth 2.0 access token of ${id}`);
  const refreshToken = await readSecret(`X OAuth 2.0 refresh token of ${id}`);
  const issuedAt = Date.now();
  return { clientId, clientSecret, accessToken, refreshToken, issuedAt, expiresAt: issuedAt + durationMs(expiresIn)! };
}

/** The callback `connect-x` listens on unless told another: register it as the app's Callback URI on X. */
const defaultCallback = 'http://127.0.0.1:8976/callback';
/** How long the owner has to answer X's consent page. */
const consentTimeoutMs = 10 * 60_000;

const connectOptions = z.object({
  oauth1: z.boolean().default(false),
  redirectUri: z.url({ message: 'a URL, such as http://127.0.0.1:8976/callback' }),
  json,
  positionals: oneAccount,
});

/**
 * Connects an account to its X user and keeps the tokens in the account store. OAuth 2.0 (the default): X's consent
 * page, its answer taken on the callback or pasted, the code exchanged with the PKCE verifier, and the account's
 * refresher (x-token:{id}) started; OAuth 1.0a: X's PIN page, the PIN typed in. The tokens never reach Temporal.
 */
async function connectX(options: z.infer<typeof connectOptions>, config: Config): Promise<void> {
  const [id] = options.positionals;
  const say = (line: string) => void (options.json ? console.error(line) : console.log(line));
  /** A step of X's: its refusal said in one line. */
  const step = async <T>(call: () => T | Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw err instanceof XConnectRefused ? new CliError(err.message) : err;
    }
  };
  const { accounts } = await services(config);
  const connector = xConnector(config);
  if (options.oauth1) {
    const link = await step(() => connector.oauth1Link());
    say(`Open this page where you are signed in to X as the account to connect, and authorise the app:

  ${link.url}
`);
    const pin = await readSecret('The PIN X shows');
    const { tokens, username } = await step(() => connector.oauth1Login({ ...link, pin: pin.trim() }));
    await accounts.saveXTokens(id, tokens);
    if (options.json) return console.log(JSON.stringify({ accountId: id, username, oauth: '1.0a' }));
    return console.log(`Connected ${id} to X as @${username} (OAuth 1.0a: its token does not expire).`);
  }
  const link = await step(() => connector.oauth2Link(options.redirectUri));
  say(`Open this page where you are signed in to X as the account to connect, and authorise the app:

  ${link.url}
`);
  say(
    `X then sends the browser to ${options.redirectUri}. On this machine that is all; if the browser is on another one, its page will not load: copy the whole address from its address bar and paste it here.`,
  );
  const answer = await consentAnswer(options.redirectUri, consentTimeoutMs, say);
  if (answer.error) throw new CliError(`X says the app was not authorised (${answer.error}): run the command again`);
  if (!answer.code || answer.state !== link.state) {
    throw new CliError('That answer is not for this request (its state differs): run the command again');
  }
  const { code } = answer;
  const { tokens, username, scope } = await step(() =>
    connector.oauth2Login({ code, codeVerifier: link.codeVerifier, redirectUri: options.redirectUri }),
  );
  // Whatever was stored (a refused pair above all) gives way; the refresher keeps these fresh and wakes the replies
  // that waited for them.
  await accounts.saveXOAuth2(id, tokens, null);
  const client = await connectClient(config.temporal);
  await xTokensAdded(client, config.temporal.taskQueue, id);
  if (options.json) {
    return console.log(
      JSON.stringify({ accountId: id, username, oauth: '2.0', scope, refresher: workflowIds.xToken(id) }),
    );
  }
  console.log(`Connected ${id} to X as @${username} (OAuth 2.0: ${scope.join(' ')}).`);
  console.log(
    `${workflowIds.xToken(id)} refreshes its tokens before they expire: ${webUiLink(config, workflowIds.xToken(id))}`,
  );
}

const loginOptions = z.object({
  phone: z
    .string({ message: 'required: the phone number of the Telegram account, e.g. +15550100001' })
    .regex(/^\+\d{6,15}$/, 'an international number: + then 6 to 15 digits'),
  codeTimeout: duration,
  json,
  positionals: oneAccount,
});

async function login(options: z.infer<typeof loginOptions>, config: Config): Promise<void> {
  const [id] = options.positionals;
  const client = await connectClient(config.temporal);
  const workflowId = workflowIds.login(id);
  const { handle, started } = await startOnce(client, loginWorkflow, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [{ accountId: id, phone: options.phone, codeTimeout: options.codeTimeout }],
    staticSummary: workflowSummaries.login(id),
    typedSearchAttributes: [{ key: accountIdKey, value: id }],
  });
  if (!started) {
    throw new CliError(
      `A login of ${id} is in progress: enter its code with \`${commandName} account code ${id} <code>\`, or see \`account status ${id}\``,
    );
  }
  // Telegram's answer to the request for a code is the login's first step; the query says when it is taken.
  const view = await waitFor(
    () => handle.query(loginStatusQuery),
    (v) => v.state !== 'sending-code',
    60_000,
  );
  if (view.state === 'failed') throw new CliError(`The login of ${id} failed: ${view.lastError ?? 'see the Web UI'}`);
  const link = webUiLink(config, workflowId);
  if (options.json) return console.log(JSON.stringify({ workflowId, ...view, webUi: link }));
  console.log(
    view.state === 'sending-code'
      ? `Started ${workflowId}; the code is not sent yet (is a worker running?). Then: ${commandName} account code ${id} <code>`
      : `Telegram sent a login code to the apps of ${options.phone}. Enter it within ${options.codeTimeout}: ${commandName} account code ${id} <code>`,
  );
  console.log(link);
}

/**
 * Enters a login step as an Update: the login's status once Telegram has answered it; a login not waiting for that
 * step refuses it, said in one line.
 */
async function enterStep(id: string, step: Promise<LoginStatusView>): Promise<LoginStatusView> {
  return step.catch((err: unknown) => {
    const refused =
      err instanceof WorkflowUpdateFailedError &&
      err.cause instanceof ApplicationFailure &&
      err.cause.type === notAwaitingThisStep;
    throw refused ? new CliError(`${err.cause.message}: ${commandName} account status ${id}`) : err;
  });
}

function describeLogin(id: string, view: LoginStatusView): string {
  switch (view.state) {
    case 'logged-in':
      return `${id} is logged in; its Telegram session is starting (${commandName} account status ${id}).`;
    case 'awaiting-password':
      return `${id} has two-step verification: ${commandName} account password ${id}`;
    case 'awaiting-code':
      return `${view.lastError ?? 'Waiting for the code'}: ${commandName} account code ${id} <code>`;
    case 'expired':
    case 'failed':
      return `The login of ${id} ${view.state}: ${view.lastError ?? ''}. Start again: ${commandName} account login ${id} --phone <+number>`;
    default:
      return `The login of ${id} is ${view.state}: ${commandName} account status ${id}`;
  }
}

const codeOptions = z.object({
  json,
  positionals: z.tuple(
    [account, z.string().regex(/^\d{4,8}$/, 'the login code: the 4 to 8 digits Telegram sent')],
    'expected the account id and the code',
  ),
});

async function code(options: z.infer<typeof codeOptions>, config: Config): Promise<number> {
  const [id, value] = options.positionals;
  const client = await connectClient(config.temporal);
  const handle = await runningLogin(client, id);
  const view = await enterStep(id, handle.executeUpdate(enterCodeUpdate, { args: [value] }));
  print(options.json, config, workflowIds.login(id), view, describeLogin(id, view));
  // Success is a session, or the next step of one; a refused code, an expiry or no answer yet is not.
  return view.state === 'logged-in' || view.state === 'awaiting-password' ? 0 : 1;
}

async function password(options: { json: boolean; positionals: [string] }, config: Config): Promise<number> {
  const [id] = options.positionals;
  const client = await connectClient(config.temporal);
  const handle = await runningLogin(client, id);
  const { accounts } = await services(config);
  await accounts.saveTwoFactorPassword(id, await readSecret(`Telegram 2FA password of ${id}`));
  const view = await enterStep(id, handle.executeUpdate(passwordReadyUpdate));
  const text =
    view.state === 'awaiting-password' ? `${view.lastError ?? 'Not accepted'}: try again` : describeLogin(id, view);
  print(options.json, config, workflowIds.login(id), view, text);
  return view.state === 'logged-in' ? 0 : 1;
}

async function runningLogin(client: Client, id: string): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(workflowIds.login(id));
  const running = await handle.describe().then(
    (d) => d.status.name === 'RUNNING',
    () => false,
  );
  if (!running)
    throw new CliError(`No login of ${id} is in progress: ${commandName} account login ${id} --phone <+number>`);
  return handle;
}

function print(json: boolean, config: Config, workflowId: string, view: object, text: string): void {
  const link = webUiLink(config, workflowId);
  console.log(json ? JSON.stringify({ workflowId, ...view, webUi: link }) : `${text}\n${link}`);
}

/** One signal to the account's running session workflow, and what was sent. */
async function sendTo(
  id: string,
  config: Config,
  verb: string,
  send: (handle: WorkflowHandle) => Promise<void>,
): Promise<void> {
  const client = await connectClient(config.temporal);
  const handle = await runningWorkflow(client, workflowIds.account(id), `start it with \`account add ${id}\``);
  await send(handle);
  console.log(`${verb}: sent to ${handle.workflowId}\n${webUiLink(config, handle.workflowId)}`);
}

function describeSession(id: string, view: SessionStatusView): string {
  return [
    `${id}: ${view.state}${view.connectedSince ? ` since ${view.connectedSince}` : ''}`,
    `  failures ${view.failures}, reconnects ${view.reconnects}${view.latencyMs === undefined ? '' : `, ping ${view.latencyMs} ms`}`,
    view.lastSuccessAt ? `  last success ${view.lastSuccessAt}` : undefined,
    view.lastError ? `  last error: ${view.lastError}` : undefined,
  ]
    .filter(Boolean)
    .join('\n');
}

async function status(options: { json: boolean; positionals: [string] | [] }, config: Config): Promise<void> {
  const client = await connectClient(config.temporal);
  const ids = options.positionals.length
    ? options.positionals
    : (await runningSessions(client)).map((session) => session.accountId);
  const reports = [];
  for (const id of ids) {
    const session = client.workflow.getHandle(workflowIds.account(id));
    const described = await session.describe();
    const view = described.status.name === 'RUNNING' ? await sessionStatus(client, session.workflowId) : undefined;
    const loginHandle = client.workflow.getHandle(workflowIds.login(id));
    const login = await loginHandle.describe().then(
      async (d) => (d.status.name === 'RUNNING' ? await loginHandle.query(loginStatusQuery) : undefined),
      () => undefined,
    );
    reports.push({
      accountId: id,
      execution: described.status.name,
      session: view,
      login,
      webUi: webUiLink(config, session.workflowId),
    });
  }
  if (options.json) return console.log(JSON.stringify({ accounts: reports }));
  if (reports.length === 0) console.log(`No account session is running: ${commandName} account add <id>`);
  for (const report of reports) {
    console.log(
      report.session ? describeSession(report.accountId, report.session) : `${report.accountId}: ${report.execution}`,
    );
    if (report.login)
      console.log(
        `  login in progress: ${report.login.state}${report.login.lastError ? ` (${report.login.lastError})` : ''}`,
      );
    console.log(`  ${report.webUi}`);
  }
}
