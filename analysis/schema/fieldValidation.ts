/**
 * What becomes of a field that an object's schema does not know, as kubectl's
 * `--validate=strict|warn|ignore` asks the API server (its `fieldValidation` parameter):
 * `strict` refuses the object; `warn` and `ignore` store it without the field (the API server
 * prunes unknown fields of custom resources and drops them when decoding built-in kinds), `warn`
 * with a warning for each. The engine then evaluates the object as stored.
 */
export const fieldValidationModes = ["strict", "warn", "ignore"] as const;

export type FieldValidation = (typeof fieldValidationModes)[number];

/** Called with the path of each unknown field dropped, e.g. `spec.containers[0].ports[0].containerport`. */
export type UnknownFieldDropped = (fieldPath: string) => void;
