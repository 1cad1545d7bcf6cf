/**
 * Schema validation of the objects `ztmesh reach` reads, against the OpenAPI schemas of the
 * pinned versions (generated/schemas.json: Kubernetes v1.36.3's built-in kinds, and the CRDs of
 * Calico, Istio and Gateway API; scripts/generateSchemas.ts writes it). Each kind's validator
 * is made on first use: a run pays only for the kinds its input holds. `npm run build` also
 * writes each kind's validator as a module of its own (scripts/compileValidators.ts: ajv's
 * standalone code, from the same schemas and options), which the built command loads instead
 * of compiling: compiling the Deployment schema (the pod spec) was about half of the command's
 * start-up. Run from the sources, or for a kind without such a module, the validator is
 * compiled here.
 */
import * as fs from "fs";
import * as path from "path";
import type Ajv from "ajv";
import type { ErrorObject, Options, ValidateFunction } from "ajv";
import type { UnknownFieldDropped } from "./fieldValidation";
import { describeSchemaError, fieldPath, valueAt } from "./schemaErrors";

const schemaId = "ztmesh-schemas";

/**
 * validateSchema off: the generated schemas are checked once, by the generator's test, not on every run.
 * Each definition compiled once as its own function (no inlining, no code optimisation pass):
 * a cold run compiles about half as long, and validates about as fast.
 */
const ajvOptions: Options = { allErrors: false, validateSchema: false, strict: false, addUsedSchema: false, inlineRefs: false, code: { optimize: false } };

/** Where the built package keeps each kind's precompiled validator: a folder beside this module. */
export const precompiledFolder = "validators";

/** The module file of a kind's precompiled validator: `apps_v1_Deployment.js` (no API group, version or kind has an underscore). */
export function precompiledFile(kindKey: string): string {
    return `${kindKey.replace(/\//g, "_")}.js`;
}

/** `apiVersion/kind` → the `$ref` of the definition that validates it, for every kind with a schema. */
export function kindRefs(): Map<string, string> {
    return new Map([...load().kinds].map(([key, definition]) => [key, `${schemaId}#/definitions/${definition}`]));
}

/** An ajv holding every definition; with `source`, one that keeps the code it generates (for standalone modules). */
export function definitionsAjv(source = false): Ajv {
    const { schemas } = require("./generatedSchemas") as typeof import("./generatedSchemas");
    const AjvClass = (require("ajv") as typeof import("ajv")).default;
    return new AjvClass({ ...ajvOptions, code: { ...ajvOptions.code, source } }).addSchema({ $id: schemaId, definitions: schemas.definitions });
}

interface Loaded {
    /** `apiVersion/kind` → the definition that validates it. */
    readonly kinds: ReadonlyMap<string, string>;
    /** The API versions serving each kind, e.g. NetworkPolicy: crd.projectcalico.org/v1, networking.k8s.io/v1, projectcalico.org/v3. */
    readonly servedVersions: ReadonlyMap<string, readonly string[]>;
}

let loaded: Loaded | undefined;
let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function load(): Loaded {
    if (loaded === undefined) {
        const { schemas } = require("./generatedSchemas") as typeof import("./generatedSchemas");
        const kinds = new Map(Object.entries(schemas.kinds));
        const servedVersions = new Map<string, string[]>();
        for (const key of kinds.keys()) {
            const slash = key.lastIndexOf("/");
            servedVersions.set(key.slice(slash + 1), [...(servedVersions.get(key.slice(slash + 1)) ?? []), key.slice(0, slash)]);
        }
        loaded = { kinds, servedVersions };
    }
    return loaded;
}

/** The API versions that serve `kind` among the schemas known, e.g. ["networking.k8s.io/v1", "projectcalico.org/v3"]. */
export function apiVersionsOf(kind: string): readonly string[] {
    return load().servedVersions.get(kind) ?? [];
}

/** Whether a schema of `apiVersion` `kind` is known. */
export function hasSchema(apiVersion: string, kind: string): boolean {
    return load().kinds.has(`${apiVersion}/${kind}`);
}

/**
 * The first schema violation of `object` (of a kind with a schema), as "field.path: problem", or
 * undefined. With `dropUnknown`, a field the schema does not know is no violation: it is
 * removed from `object` (in place) and passed to `dropUnknown`, and the rest validated again.
 */
export function schemaProblem(object: Record<string, unknown>, apiVersion: string, kind: string, dropUnknown?: UnknownFieldDropped): string | undefined {
    const key = `${apiVersion}/${kind}`;
    let validate = validators.get(key);
    if (validate === undefined) {
        validate = precompiled(key) ?? (ajv ??= definitionsAjv()).compile({ $ref: kindRefs().get(key)! });
        validators.set(key, validate);
    }
    // ajv stops at the first error (allErrors off: faster, and one error is all a message names),
    // so unknown fields are dropped one at a time; an object has few, each run is cheap.
    while (!validate(object)) {
        const errors = validate.errors ?? [];
        const unknown = unknownField(errors);
        if (dropUnknown === undefined || unknown === undefined) {
            return describeSchemaError(errors, object);
        }
        delete (valueAt(object, unknown.instancePath) as Record<string, unknown>)[unknown.field];
        dropUnknown(fieldPath(unknown.instancePath, unknown.field));
    }
    return undefined;
}

/**
 * The unknown field ajv's errors are about, if they are about one: not when it failed one branch
 * of an anyOf/oneOf, where the field may be known to another branch and the object is refused
 * for the choice it made.
 */
function unknownField(errors: readonly ErrorObject[]): { instancePath: string; field: string } | undefined {
    if (errors.some((error) => error.keyword === "anyOf" || error.keyword === "oneOf") || errors[0]?.keyword !== "additionalProperties") {
        return undefined;
    }
    return { instancePath: errors[0].instancePath, field: String(errors[0].params.additionalProperty) };
}

/** The kind's validator as `npm run build` wrote it, if it did. */
function precompiled(kindKey: string): ValidateFunction | undefined {
    const file = path.join(__dirname, precompiledFolder, precompiledFile(kindKey));
    return fs.existsSync(file) ? (require(file) as Record<string, ValidateFunction>)[kindKey] : undefined;
}
