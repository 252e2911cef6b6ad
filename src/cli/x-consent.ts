import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import { CliError } from './errors';

/** What X sent the browser back with: a code (and the state it must match), or the user's refusal. */
export interface ConsentAnswer {
  code?: string;
  state?: string;
  error?: string;
}

/**
 * Waits for X's answer to the consent page: the browser's redirect to the callback, taken on loopback when the
 * callback is this machine's, or the redirected address pasted by the owner (a headless server: the browser on
 * another machine shows an error page whose address bar holds the answer). Whichever comes first.
 */
export async function consentAnswer(
  redirectUri: string,
  timeoutMs: number,
  say: (line: string) => void,
): Promise<ConsentAnswer> {
  const callback = new URL(redirectUri);
  const answers: Promise<ConsentAnswer>[] = [pasted(callback)];
  let server: Server | undefined;
  if (['127.0.0.1', 'localhost', '[::1]'].includes(callback.hostname) && callback.protocol === 'http:') {
    server = await listen(callback).catch((err: unknown) => {
      say(
        `(Cannot take the callback on ${callback.host}: ${err instanceof Error ? err.message : String(err)}; paste the address instead.)`,
      );
      return undefined;
    });
    if (server) answers.push(taken(server, callback));
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CliError(`No answer from X within ${Math.round(timeoutMs / 60_000)} minutes: run the command again`),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([...answers, timedOut]);
  } finally {
    clearTimeout(timer);
    server?.closeAllConnections();
    server?.close();
    process.stdin.pause();
  }
}

function listen(callback: URL): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(callback.port || 80), callback.hostname.replace(/^\[|\]$/g, ''), () => resolve(server));
  });
}

/** The browser's redirect to the callback: answered with a page saying where to look next. */
function taken(server: Server, callback: URL): Promise<ConsentAnswer> {
  return new Promise((resolve) => {
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', callback);
      if (url.pathname !== callback.pathname) {
        res.writeHead(404).end();
        return;
      }
      const answer = answerIn(url);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><p>${answer.code ? 'X answered: back to the terminal, where Steadfast finishes connecting the account. You can close this tab.' : 'X says the app was not authorised. Back to the terminal.'}</p>`,
      );
      resolve(answer);
    });
  });
}

/** One line of standard input holding the redirected address; none at the end of the input (a pipe closed). */
function pasted(callback: URL): Promise<ConsentAnswer> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin, terminal: false });
    lines.on('line', (line) => {
      const text = line.trim();
      if (!text) return;
      let url: URL;
      try {
        url = new URL(text, callback);
      } catch {
        process.stderr.write('That is not an address: paste the whole address the browser was sent to.\n');
        return;
      }
      lines.close();
      resolve(answerIn(url));
    });
  });
}

function answerIn(url: URL): ConsentAnswer {
  const get = (name: string) => url.searchParams.get(name) ?? undefined;
  return { code: get('code'), state: get('state'), error: get('error') };
}
