import type { AiPort } from './ai';
import type { StorePort } from './store';
import type { TelegramPort } from './telegram';
import type { XPort, XTokenPort } from './x';

/**
 * The ports: what the workflows need of the four services, and nothing of how a library does it. The real adapters
 * (openai, twitter-api-v2, convex, telegram) and the sandbox implement these interfaces.
 */
export interface Services {
  ai: AiPort;
  x: XPort;
  /** X's OAuth 2.0 token endpoint, for the accounts that use OAuth 2.0. */
  xTokens: XTokenPort;
  store: StorePort;
  telegram: TelegramPort;
}
