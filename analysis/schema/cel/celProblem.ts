/**
 * The CRDs' CEL validation rules (`x-kubernetes-validations`), evaluated on an object as the API
 * server evaluates them (https://kubernetes.io/docs/reference/using-api/cel/): each rule at the
 * schema node that declares it, with `self` bound to the (defaulted) value there, and only where
 * that value is present; a node's rules before those of its parts. A failed rule is reported at
 * its node, or at its `fieldPath`, with its messageExpression or message. Every kind whose schema
 * carries rules is covered; kinds without rules cost nothing but a look at their schema, once.
 */
import { describeValue, fieldPath } from "../schemaErrors";
import { celValue, Definitions, hasRules, RuleSite, Schema } from "./celValue";
import { compile, failureMessage } from "./compiledRules";

/** `.spec.ports[0]`, `['a.b']` (a rule's fieldPath, relative to its node) as JSON pointer segments appended to `pointer`. */
function pointerAt(pointer: string, relative: string): string {
    const segments = [...relative.matchAll(/\.([^.[\]]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]/g)].map((match) => match[1] ?? match[2] ?? match[3].replace(/\\(.)/g, "$1"));
    return segments.reduce((path, segment) => `${path}/${segment.replace(/~/g, "~0").replace(/\//g, "~1")}`, pointer);
}

/** What failing `site`'s rule says: "field.path: message, found ...". */
function failure(site: RuleSite, problem: string, at: string): string {
    const found = at === site.pointer && !Array.isArray(site.value) ? `, found ${describeValue(site.value)}` : "";
    const where = fieldPath(at);
    return `${where === "" ? "" : `${where}: `}${problem}${found}`;
}

let generated: typeof import("../generatedSchemas").schemas | undefined;

/** The generated schemas, loaded on first use (by then schemas.ts has loaded them for ajv). */
function generatedSchemas(): typeof import("../generatedSchemas").schemas {
    generated ??= (require("../generatedSchemas") as typeof import("../generatedSchemas")).schemas;
    return generated;
}

/** The first CEL rule `object` fails, as "field.path: message", or undefined (also for a kind without rules). */
export function celProblem(object: Record<string, unknown>, apiVersion: string, kind: string): string | undefined {
    const schemas = generatedSchemas();
    const id = schemas.kinds[`${apiVersion}/${kind}`];
    return id === undefined ? undefined : schemaRulesProblem(object, schemas.definitions[id], schemas.definitions as Definitions);
}

/** The first CEL rule of `schema` (whose `$ref`s name `definitions`) that `value` fails, as "field.path: message", or undefined. */
export function schemaRulesProblem(value: unknown, schema: Schema, definitions: Definitions): string | undefined {
    if (!hasRules(schema, definitions)) {
        return undefined;
    }
    const sites: RuleSite[] = [];
    celValue(value, schema, definitions, "", sites, false);
    for (const site of sites) {
        for (const rule of site.rules) {
            const program = compile(rule.rule);
            if (program === "transition") {
                continue;
            }
            if (program instanceof Error) {
                return failure(site, `the validation rule ${JSON.stringify(rule.rule)} could not be compiled (${program.message}); the object is refused rather than left unchecked`, site.pointer);
            }
            const result = program(site.self);
            if (result instanceof Error || typeof result !== "boolean") {
                const error = result instanceof Error ? result.message : `it gives ${String(result)}, not true or false`;
                return failure(site, `${error} evaluating rule: ${rule.rule}`, site.pointer);
            }
            if (!result) {
                return failure(site, failureMessage(rule, site.self), rule.fieldPath === undefined ? site.pointer : pointerAt(site.pointer, rule.fieldPath));
            }
        }
    }
    return undefined;
}
