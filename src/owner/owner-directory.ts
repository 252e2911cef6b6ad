import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { AccountStore, StoredOwner } from '../ports/account-store';

/**
 * Who owns the deployment, and how they become it. The owner is the Telegram user approval requests and alerts go to
 * and the control bot obeys: set by STEADFAST_OWNER_TELEGRAM_ID (and the sandbox's user 1000), or paired — the owner
 * runs `steadfast owner pair`, which keeps a one-time code's hash in the account store, and sends `/pair CODE` to the
 * bot, which stores that Telegram user as the owner for every worker. Nobody is the owner by default.
 */
export interface Owner {
  telegramUserId: string;
  name?: string;
  pairedAt?: number;
  /** Set by STEADFAST_OWNER_TELEGRAM_ID (or the sandbox), not paired: pairing cannot change it. */
  configured: boolean;
}

export type PairingOutcome = { kind: 'paired'; owner: StoredOwner } | { kind: 'refused'; reason: string };

/** How long a pairing code may take to reach the bot. */
export const pairingLifetimeMs = 10 * 60_000;
/** Wrong codes before the waiting one is dropped: a stranger guessing has five tries at 31^8 codes. */
const maxWrongAttempts = 5;
/** No 0/O, 1/I/L: a code read off a terminal and typed on a phone. */
const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

const hashOf = (code: string) => createHash('sha256').update(normalised(code)).digest('hex');
const normalised = (code: string) => code.toUpperCase().replace(/[^A-Z0-9]/g, '');

/** Thrown by startPairing when the owner is configured: pairing would change nothing. */
export class OwnerConfigured extends Error {
  override name = 'OwnerConfigured';
}

export type OwnerStore = Pick<AccountStore, 'owner' | 'saveOwner' | 'pairing' | 'savePairing'>;

export function ownerDirectory(accounts: OwnerStore, configured: string | undefined, admins: readonly string[] = []) {
  const configuredOwner = configured ? { telegramUserId: configured, configured: true } : undefined;
  const owner = async (): Promise<Owner | undefined> => {
    if (configuredOwner) return configuredOwner;
    const paired = await accounts.owner();
    return paired && { ...paired, configured: false };
  };
  return {
    owner,
    /** The owner's chat (a user's chat id is their user id), or undefined while nobody has paired. */
    chatId: async () => (await owner())?.telegramUserId,
    /** The owner and the configured admins may command the bot. */
    isAdmin: async (userId: string) => admins.includes(userId) || (await owner())?.telegramUserId === userId,

    /** A new code (the one before it stops working), formatted `ABCD-EFGH`. */
    async startPairing(now = Date.now()): Promise<{ code: string; expiresAt: number }> {
      if (configuredOwner) {
        throw new OwnerConfigured(
          `STEADFAST_OWNER_TELEGRAM_ID sets the owner (Telegram user ${configuredOwner.telegramUserId}): unset it to pair another`,
        );
      }
      const code = Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]).join('');
      const expiresAt = now + pairingLifetimeMs;
      await accounts.savePairing({ codeHash: hashOf(code), expiresAt, wrongAttempts: 0 });
      return { code: `${code.slice(0, 4)}-${code.slice(4)}`, expiresAt };
    },

    /**
     * `/pair CODE` from a Telegram user: the right code, in time and once, makes them the owner; anything else changes
     * nothing but the count of wrong guesses. The reasons are worded for whoever sent it.
     */
    async pair(code: string, user: { id: string; name?: string }, now = Date.now()): Promise<PairingOutcome> {
      if (configuredOwner) {
        return { kind: 'refused', reason: 'This deployment’s owner is set in its configuration: nothing to pair.' };
      }
      const waiting = await accounts.pairing();
      const again = 'Ask the owner to run `steadfast owner pair` for a new code.';
      if (!waiting || waiting.expiresAt <= now) {
        if (waiting) await accounts.savePairing(undefined);
        return { kind: 'refused', reason: `No pairing code is waiting, or it expired. ${again}` };
      }
      const given = Buffer.from(hashOf(code), 'hex');
      if (!timingSafeEqual(given, Buffer.from(waiting.codeHash, 'hex'))) {
        const wrongAttempts = waiting.wrongAttempts + 1;
        await accounts.savePairing(wrongAttempts >= maxWrongAttempts ? undefined : { ...waiting, wrongAttempts });
        return { kind: 'refused', reason: `That is not the pairing code. ${again}` };
      }
      await accounts.savePairing(undefined);
      const paired: StoredOwner = { telegramUserId: user.id, pairedAt: now, ...(user.name ? { name: user.name } : {}) };
      await accounts.saveOwner(paired);
      return { kind: 'paired', owner: paired };
    },
  };
}

export type OwnerDirectory = ReturnType<typeof ownerDirectory>;
