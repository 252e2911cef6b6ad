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

/** The AI port over an OpenAI-compatible chat-completions API. Retries are Temporal's: the library's are off. */
export function createOpenAiPort({ apiKey, baseUrl, model, timeoutMs = 50_000 }: OpenAiSettings): AiPort {
  const client = new OpenAI({ apiKey, baseURL: baseUrl, maxRetries: 0, timeout: timeoutMs });
  return {
    async draftReply({ tweet }) {
      try {
        const completion = await client.chat.completions.create({
          model,
          messages: [
            { role: 'system', content: 'You write one short, friendly, factual reply to a tweet. No hashtags.' },
            { role: 'user', content: `@${tweet.authorUsername ?? 'someone'} wrote: ${tweet.text}` },
          ],
        });
        const text = completion.choices[0]?.message.content?.trim();
        if (!text) throw new OpenAI.APIError(502, undefined, 'the model returned no text', undefined);
        return text;
      } catch (err) {
        throw classifyOpenAiError(err);
      }
    },
  };
}
