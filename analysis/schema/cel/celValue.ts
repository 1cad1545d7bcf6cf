/**
 * An object's value as the API server hands it to a CEL rule: read through its schema, with the
 * schema's defaults applied (the server defaults an object before it validates it), integers as
 * CEL `int`, objects as maps, and property names escaped as CEL needs them.
 * https://kubernetes.io/docs/reference/using-api/cel/#type-checking and #escaping
 */
import type { CelInput } from "@bufbuild/cel";
import { celContainers } from "./celLibrary";

/** A JSON Schema node of the generated schemas. */
export type Schema = { readonly [keyword: string]: any };
export type Definitions = Readonly<Record<string, Schema>>;

/** Where a schema node keeps its CEL rules. */
export const rulesKeyword = "x-kubernetes-validations";

/** One CEL rule as the generated schemas keep it (a CRD's `x-kubernetes-validations` entry). */
export interface CelRule {
    readonly rule: string;
    readonly message?: string;
    readonly messageExpression?: string;
    /** Where the error points, relative to the rule's node (`.spec.ports[0]`). */
    readonly fieldPath?: string;
    /** FieldValueInvalid (the default), FieldValueForbidden, FieldValueRequired or FieldValueDuplicate. */
    readonly reason?: string;
}

/** CEL's reserved words: a property so named is read as `__name__` (`p.__namespace__`). */
const reservedWords = new Set(["true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
    "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]);

const escapes: Readonly<Record<string, string>> = { "__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__" };

/** `namespace` → `__namespace__`, `a.b-c/d` → `a__dot__b__dash__c__slash__d`, `__x` → `__underscores__x`. */
export function escapedPropertyName(name: string): string {
    return reservedWords.has(name) ? `__${name}__` : name.replace(/__|[./-]/g, (part) => escapes[part]);
}

const defaultedProperties = new WeakMap<Schema, ReadonlyArray<readonly [string, Schema, unknown]>>();

/** The declared properties of `node` that have a default: name, schema, default (computed once per schema node). */
function propertiesWithDefaults(node: Schema, definitions: Definitions): ReadonlyArray<readonly [string, Schema, unknown]> {
    let found = defaultedProperties.get(node);
    if (found === undefined) {
        found = Object.entries((node.properties ?? {}) as Record<string, Schema>)
            .map(([name, property]) => [name, property, resolved(property, definitions).default] as const)
            .filter(([, , defaultValue]) => defaultValue !== undefined);
        defaultedProperties.set(node, found);
    }
    return found;
}

/** `schema`, or the definition its `$ref` names. */
export function resolved(schema: Schema, definitions: Definitions): Schema {
    return schema.$ref === undefined ? schema : definitions[String(schema.$ref).replace("#/definitions/", "")];
}

const subtreeHasRules = new WeakMap<Schema, boolean>();

/** Whether CEL rules are declared at `schema` or below it (computed once per schema node). */
export function hasRules(schema: Schema, definitions: Definitions): boolean {
    const node = resolved(schema, definitions);
    let known = subtreeHasRules.get(node);
    if (known === undefined) {
        subtreeHasRules.set(node, false);
        known = node[rulesKeyword] !== undefined
            || Object.values((node.properties ?? {}) as Record<string, Schema>).some((child) => hasRules(child, definitions))
            || [node.items, node.additionalProperties].some((child) => typeof child === "object" && hasRules(child, definitions));
        subtreeHasRules.set(node, known);
    }
    return known;
}

/** A schema node whose rules apply to a value: `self` is the value as CEL reads it, `value` as written. */
export interface RuleSite {
    /** Where the value is, as a JSON pointer (`/spec/rules/0`). */
    readonly pointer: string;
    readonly rules: readonly CelRule[];
    readonly value: unknown;
    self?: CelInput;
}

function childPointer(pointer: string, name: string): string {
    return `${pointer}/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

function isIntegerSchema(schema: Schema): boolean {
    return schema.type === "integer" || (schema.anyOf as Schema[] | undefined)?.some((branch) => branch.type === "integer") === true;
}

/**
 * `value` (schema-valid, nulls removed) as a CEL input, and in `sites`, in the order the API
 * server evaluates them (a node's rules before its children's), the rules that apply to it and
 * its parts. A declared property left out that has a default takes it, as the API server's
 * structural defaulting does; an object with declared properties becomes a map with escaped
 * names, a map (`additionalProperties`) keeps its keys. Lists and maps are wrapped once as the
 * CEL library's values: unwrapped, they would be converted again at each rule that reads them.
 * Parts that no rule reads are not converted (undefined) unless `read`.
 */
export function celValue(value: unknown, schema: Schema, definitions: Definitions, pointer: string, sites: RuleSite[], read: boolean): CelInput | undefined {
    const node = resolved(schema, definitions);
    if (!read && !hasRules(node, definitions)) {
        return undefined;
    }
    const rules = node[rulesKeyword] as CelRule[] | undefined;
    const site: RuleSite | undefined = rules === undefined ? undefined : { pointer, rules, value };
    if (site !== undefined) {
        sites.push(site);
    }
    const readParts = read || site !== undefined;
    const converted = convertParts(value, node, definitions, pointer, sites, readParts);
    if (site !== undefined) {
        site.self = converted;
    }
    return converted;
}

function convertParts(value: unknown, node: Schema, definitions: Definitions, pointer: string, sites: RuleSite[], read: boolean): CelInput {
    if (Array.isArray(value)) {
        // A part left undefined is one no rule reads (see above).
        return celContainers().celList(value.map((item, index) => celValue(item, node.items ?? {}, definitions, `${pointer}/${index}`, sites, read)) as CelInput[]);
    }
    if (typeof value === "number") {
        return Number.isInteger(value) && isIntegerSchema(node) ? BigInt(value) : value;
    }
    if (typeof value !== "object" || value === null) {
        return value as CelInput;
    }
    const fields = value as Record<string, unknown>;
    const properties = (node.properties ?? {}) as Record<string, Schema>;
    const result = new Map<string, CelInput | undefined>();
    for (const [name, field] of Object.entries(fields)) {
        const declared = properties[name];
        const child = declared ?? (typeof node.additionalProperties === "object" ? node.additionalProperties : {});
        result.set(declared === undefined ? name : escapedPropertyName(name),
            celValue(field, child, definitions, childPointer(pointer, name), sites, read));
    }
    for (const [name, property, defaultValue] of propertiesWithDefaults(node, definitions)) {
        if (fields[name] === undefined) {
            result.set(escapedPropertyName(name), celValue(defaultValue, property, definitions, childPointer(pointer, name), sites, read));
        }
    }
    return celContainers().celMap(result as Map<string, CelInput>);
}
