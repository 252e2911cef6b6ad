import type { AccountStore } from '../ports/account-store';
import type { TelegramLogin, TelegramPort } from '../ports/telegram';
import { permanentFailure } from '../domain/failure-vocabulary';

export interface LoginDeps {
  telegram: TelegramPort;
  accounts: AccountStore;
  /** This worker's own task queue: the login workflow routes the steps of a login this worker holds there. */
  loginTaskQueue: string;
}

/** A login whose workflow has gone (terminated, reset) is closed after this long without a step. */
const abandonedAfterMs = 15 * 60_000;

/**
 * A Telegram login is a conversation on one auth key: the code is tied to it. The worker that sent the code holds the
 * connection (in memory) and its auth key (in the account store, a secret): a step that reaches this worker after a
 * restart goes on over a new connection with the same key. The session ends up in the account store only.
 */
export function createLoginActivities({ telegram, accounts, loginTaskQueue }: LoginDeps) {
  const held = new Map<string, { login: TelegramLogin; abandoned: NodeJS.Timeout }>();

  const release = async (accountId: string) => {
    const holding = held.get(accountId);
    held.delete(accountId);
    if (!holding) return;
    clearTimeout(holding.abandoned);
    await holding.login.close();
  };
  const hold = (accountId: string, login: TelegramLogin) => {
    clearTimeout(held.get(accountId)?.abandoned);
    const abandoned = setTimeout(() => void release(accountId), abandonedAfterMs);
    abandoned.unref();
    held.set(accountId, { login, abandoned });
  };
  /** The login this worker holds, or, after a restart, the one its account store remembers. */
  const current = async (accountId: string, phone: string): Promise<TelegramLogin> => {
    const holding = held.get(accountId)?.login;
    if (holding) return holding;
    const pending = await accounts.pendingLogin(accountId);
    if (!pending || pending.phone !== phone) {
      throw permanentFailure('not-found', `No login of account ${accountId} is in progress on this worker`);
    }
    const login = await telegram.startLogin({ phone, resume: pending });
    hold(accountId, login);
    return login;
  };
  const finish = async (accountId: string, login: TelegramLogin) => {
    await accounts.saveTelegramSession(accountId, login.session());
    await accounts.savePendingLogin(accountId, undefined);
    await release(accountId);
  };

  return {
    /** Run on the shared task queue: whichever worker takes it will hold the login. */
    async loginWorkerQueue(): Promise<string> {
      return loginTaskQueue;
    },
    async sendLoginCode({ accountId, phone }: { accountId: string; phone: string }): Promise<void> {
      await release(accountId);
      const login = await telegram.startLogin({ phone });
      try {
        await login.sendCode();
        const pending = login.pending();
        if (pending) await accounts.savePendingLogin(accountId, { phone, ...pending });
      } catch (err) {
        await login.close();
        throw err;
      }
      hold(accountId, login);
    },
    async signInWithCode(request: { accountId: string; phone: string; code: string }) {
      const login = await current(request.accountId, request.phone);
      const outcome = await login.signIn(request.code);
      if (outcome === 'logged-in') await finish(request.accountId, login);
      return outcome;
    },
    /** The 2FA password comes from the account store (the CLI put it there), never from Temporal. */
    async checkLoginPassword({ accountId, phone }: { accountId: string; phone: string }) {
      const password = await accounts.twoFactorPassword(accountId);
      if (!password) return 'password-missing' as const;
      const login = await current(accountId, phone);
      const outcome = await login.checkPassword(password);
      // Right or wrong, a password is not kept past its use.
      await accounts.saveTwoFactorPassword(accountId, undefined);
      if (outcome === 'logged-in') await finish(accountId, login);
      return outcome;
    },
    async endLogin({ accountId }: { accountId: string }): Promise<void> {
      await release(accountId);
      await accounts.savePendingLogin(accountId, undefined);
    },
  };
}
