/** Who is on the sandbox's Telegram: known to the simulator and to workers (which need no simulator loaded). */
export interface SandboxTelegramAccount {
  accountId: string;
  userId: number;
  phone: string;
  firstName: string;
}

/** The sandbox's two accounts and the owner (user 1000), as docs/sandbox.md describes them. */
export const sandboxTelegramAccounts: readonly SandboxTelegramAccount[] = [
  { accountId: 'alice', userId: 100001, phone: '+15550100001', firstName: 'Alice' },
  { accountId: 'bob', userId: 100002, phone: '+15550100002', firstName: 'Bob' },
];
export const sandboxOwnerUserId = 1000;

/** The control bot: logged in with this token (auth.importBotAuthorization), as @BotFather's tokens are used. */
export const sandboxControlBot = { accountId: 'control-bot', userId: 7000, token: '7000:sandbox-control-bot-token' };

/** The sandbox's app on my.telegram.org: the api_id and api_hash its clients send, which its Telegram checks. */
export const sandboxTelegramApp = { apiId: 1, apiHash: 'sandbox' };
