/**
 * The generated schemas (scripts/generateSchemas.ts), behind a module of their own so that
 * schemas.ts loads them, and ajv, only when a run validates: the components and the policy
 * pack import the manifest loader without paying for either.
 */
import generated from "./generated/schemas.json";

export const schemas: { readonly kinds: Readonly<Record<string, string>>; readonly definitions: Readonly<Record<string, object>> } = generated;
