import OpenAI from 'openai';
import type { AiPort } from '../../ports/ai';
import { classifyOpenAiError } from './classify';

export interface OpenAiSettings {
  apiKey: string;
  baseUrl: string | undefined;
  model: string;
  /** Per request; below the activity's 60 s startToClose so a slow answer fails as `timeout`, not as a lost attempt. */
  timeoutMs?: number;
}

/** X refuses a text the account already posted: the prompt that asks for the same reply in other words. */
export const differentWording =
  'X refused these drafts as duplicates of posts the account already made. Say it in different words:';

/** The AI port over an OpenAI-compatible chat-completions API. Retries are Temporal's: the library's are off. */
export function createOpenAiPort({ apiKey, baseUrl, model, timeoutMs = 50_000 }: OpenAiSettings): AiPort {
  const client = new OpenAI({ apiKey, baseURL: baseUrl, maxRetries: 0, timeout: timeoutMs });
  /** One completion: its text, or a classified failure (an empty answer is the service's fault). */
  const complete = async (system: string, user: string, signal?: AbortSignal): Promise<string> => {
    try {
      const completion = await client.chat.completions.create(
        {
          model,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: user },
          ],
        },
        { signal },
      );
      const text = completion.choices[0]?.message.content?.trim();
      if (!text) throw new OpenAI.APIError(502, undefined, 'the model returned no text', undefined);
      return text;
    } catch (err) {
      throw classifyOpenAiError(err);
    }
  };
  return {
    draftReply: ({ tweet, avoid = [] }) =>
      complete(
        'You write one short, friendly, factual reply to a tweet. No hashtags.',
        [
          `@${tweet.authorUsername ?? 'someone'} wrote: ${tweet.text}`,
          ...(avoid.length > 0 ? [differentWording, ...avoid.map((draft) => `- ${draft}`)] : []),
        ].join('\n'),
      ),
    async checkAccess() {
      try {
        for await (const listed of client.models.list()) if (listed.id === model) return { model, available: true };
        return { model, available: false };
      } catch (err) {
        throw classifyOpenAiError(err);
      }
    },
    answerChat: ({ messages, signal }) =>
      complete(
        'You answer a Telegram chat on behalf of the account owner: one short, friendly message that answers all of these.',
        messages.map((m) => m.text).join('\n'),
        signal,
      ),
  };
}
