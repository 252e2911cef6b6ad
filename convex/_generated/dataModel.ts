/**
 * Stand-in for what `npx convex codegen` writes here, which needs a Convex deployment to run: the same exports, typed
 * from convex/schema.ts. `npx convex dev` regenerates the directory (as .js and .d.ts) once a deployment exists.
 */
import type { DataModelFromSchemaDefinition } from 'convex/server';
import type { GenericId } from 'convex/values';
import type schema from '../schema';

export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
export type TableNames = Extract<keyof DataModel, string>;
export type Id<TableName extends TableNames> = GenericId<TableName>;
