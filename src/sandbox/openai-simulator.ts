import { startSimulator, type RunningSimulator } from './http-simulator';

/**
 * An OpenAI-compatible chat-completions API (`POST /v1/chat/completions`) that answers with a deterministic draft,
 * speaks OpenAI's error envelope and rate-limit headers, and takes the sandbox's fault injection.
 */
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
  const error = (status: number, type: string, message: string) => ({
    status,
    body: { error: { message, type, code: null } },
  });
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
        if (method !== 'POST' || path !== '/v1/chat/completions')
          return error(404, 'invalid_request_error', `No route ${path}`);
        if (!/^Bearer \S+/.test(headers.authorization ?? '')) {
          return error(401, 'invalid_request_error', 'You didn\u2019t provide an API key.');
        }
        const request = body as { model?: unknown; messages?: { role: string; content: string }[] } | undefined;
        if (typeof request?.model !== 'string' || !Array.isArray(request.messages) || request.messages.length === 0) {
          return error(400, 'invalid_request_error', 'model and messages are required');
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
