import { startSimulator, type RunningSimulator } from './http-simulator';

/**
 * An OpenAI-compatible API: `POST /v1/chat/completions` answers with a deterministic draft, `GET /v1/models` lists
 * the models it has; it refuses a key that is not the sandbox's with OpenAI's 401 (`invalid_api_key`) and a model it
 * lacks with a 404 (`model_not_found`), speaks OpenAI's error envelope and rate-limit headers, and takes the sandbox's
 * fault injection.
 */

/** The sandbox's API key (OPENAI_API_KEY on the sandbox). */
export const sandboxOpenAiKey = 'sandbox';
/** What it serves: its own model, and the default model's name, so a deployment's configuration works against it. */
const models = ['sandbox-model', 'gpt-4o-mini', 'gpt-4o'];
interface Completion {
  model: string;
  prompt: string;
  reply: string;
}

/**
 * The same prompt gets the same draft, as a model at temperature 0 would; asked for other words than drafts it lists
 * (a prompt that says "in different words:"), it words the reply anew each time, as a model does when asked.
 */
function draftFor(prompt: string, completionsSoFar: number): string {
  const asked = /\n[^\n]*in different words:/.exec(prompt);
  const about = (asked ? prompt.slice(0, asked.index) : prompt).replace(/^@\S+ wrote: /, '').slice(0, 100);
  if (!asked) return `Thanks for this! ${about}: here is our take.`;
  const opener = rewordings[completionsSoFar % rewordings.length];
  return `${opener} ${about} (take ${completionsSoFar + 1}).`;
}

const rewordings = ['Good point:', 'Worth a thought:', 'Here is how we see it:', 'Agreed, mostly:', 'Fair question:'];

export function startOpenAiSimulator(port = 0): Promise<RunningSimulator> {
  const completions: Completion[] = [];
  const error = (status: number, type: string, message: string, code: string | null = null) => ({
    status,
    body: { error: { message, type, param: null, code } },
  });
  /** OpenAI's answer to a missing or wrong key: the key shown masked, never whole. */
  const unauthorized = (authorization: string | undefined) => {
    const key = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (key === sandboxOpenAiKey) return undefined;
    return key
      ? error(
          401,
          'invalid_request_error',
          `Incorrect API key provided: ${key.slice(0, 3)}***${key.slice(-3)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          'invalid_api_key',
        )
      : error(401, 'invalid_request_error', 'You didn\u2019t provide an API key.');
  };
  return startSimulator(
    {
      state: () => ({ completions }),
      rateLimited: (resetSeconds) => ({
        ...error(429, 'rate_limit_exceeded', 'Rate limit reached for requests'),
        headers: { 'retry-after': String(resetSeconds), 'retry-after-ms': String(resetSeconds * 1000) },
      }),
      failed: (status) =>
        error(status, status >= 500 ? 'server_error' : 'invalid_request_error', `Simulated ${status}`),
      handle: ({ method, path, headers, body }) => {
        const refused = unauthorized(headers.authorization);
        if (refused) return refused;
        if (method === 'GET' && path === '/v1/models') {
          const data = models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'sandbox' }));
          return { status: 200, body: { object: 'list', data } };
        }
        if (method !== 'POST' || path !== '/v1/chat/completions')
          return error(404, 'invalid_request_error', `No route ${path}`);
        const request = body as { model?: unknown; messages?: { role: string; content: string }[] } | undefined;
        if (typeof request?.model !== 'string' || !Array.isArray(request.messages) || request.messages.length === 0) {
          return error(400, 'invalid_request_error', 'model and messages are required');
        }
        if (!models.includes(request.model)) {
          return error(
            404,
            'invalid_request_error',
            `The model \`${request.model}\` does not exist or you do not have access to it.`,
            'model_not_found',
          );
        }
        const prompt = request.messages.at(-1)?.content ?? '';
        const reply = draftFor(prompt, completions.length);
        completions.push({ model: request.model, prompt, reply });
        return {
          status: 200,
          body: {
            id: `chatcmpl-${completions.length}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: request.model,
            choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
            usage: {
              prompt_tokens: prompt.length,
              completion_tokens: reply.length,
              total_tokens: prompt.length + reply.length,
            },
          },
        };
      },
    },
    port,
  );
}
