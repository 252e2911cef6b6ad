import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes registered on the server (scripts/lib/dev-server.ts, docker-compose.yml): the Web UI and `reply list` filter by them. */
export const accountIdKey = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);
export const stageKey = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);

export const searchAttributeKeys = [accountIdKey, stageKey];
