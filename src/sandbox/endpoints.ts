import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';

/**
 * Where the sandbox is, for those who use it without starting it (workers, the CLI): the four simulators on fixed
 * loopback ports from a base port, and the files a worker needs to use them — the X simulator's certificate and an
 * account store holding the sandbox accounts' Telegram sessions and X tokens. The files live in a directory per base
 * port, so a test run's sandbox never touches a developer's. No simulator is loaded here (src/sandbox/sandbox.ts
 * starts them).
 */
export interface SandboxEndpoints {
  openaiUrl: string;
  xUrl: string;
  convexUrl: string;
  telegramControlUrl: string;
  telegramMtprotoPort: number;
  dir: string;
  caPath: string;
  accountStorePath: string;
  /** The RSA public key the Telegram simulator signs its key exchange with (PEM), as TELEGRAM_SERVER_PUBLIC_KEY. */
  telegramPublicKeyPath: string;
}

/**
 * The secret the sandbox's Convex requires of the backend, as a deployment's STEADFAST_CONVEX_SECRET: one well-known
 * value, as the sandbox's other credentials are (its bot token, its X app), since its simulators only serve loopback.
 */
export const sandboxConvexSecret = 'sandbox-convex-secret';

export function sandboxEndpoints(basePort: number): SandboxEndpoints {
  const dir = resolve(__dirname, '..', '..', '.cache', `sandbox-${basePort}`);
  return {
    openaiUrl: `http://127.0.0.1:${basePort}`,
    xUrl: `https://127.0.0.1:${basePort + 1}`,
    convexUrl: `http://127.0.0.1:${basePort + 2}`,
    telegramControlUrl: `http://127.0.0.1:${basePort + 3}`,
    telegramMtprotoPort: basePort + 4,
    dir,
    caPath: join(dir, 'x-ca.pem'),
    accountStorePath: join(dir, 'accounts.json'),
    telegramPublicKeyPath: join(dir, 'telegram-server-key.pem'),
  };
}

/** Each simulator's control API answers GET /_sandbox/state. */
export async function isSandboxUp(basePort: number): Promise<boolean> {
  const endpoints = sandboxEndpoints(basePort);
  if (!existsSync(endpoints.caPath)) return false;
  const ca = readFileSync(endpoints.caPath, 'utf8');
  const urls = [endpoints.openaiUrl, endpoints.xUrl, endpoints.convexUrl, endpoints.telegramControlUrl];
  const answers = await Promise.all(urls.map((url) => stateAnswers(url, url.startsWith('https') ? ca : undefined)));
  return answers.every(Boolean);
}

async function stateAnswers(url: string, ca?: string): Promise<boolean> {
  const request = url.startsWith('https') ? httpsRequest : httpRequest;
  return new Promise((done) => {
    const req = request(`${url}/_sandbox/state`, { ca, timeout: 2000 }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('error', () => done(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
