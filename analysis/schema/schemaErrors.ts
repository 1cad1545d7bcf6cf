/**
 * Turns ajv's first error into "field.path: problem (found ...)", in the words a Kubernetes user
 * knows: a list, a mapping, an unknown field.
 */
import type { ErrorObject } from "ajv";

const typeNames: Record<string, string> = {
    array: "a list", object: "a mapping", string: "a string", integer: "an integer", number: "a number", boolean: "true or false",
};

/** `/spec/containers/0/ports` → `spec.containers[0].ports`. */
export function fieldPath(instancePath: string, child?: string): string {
    const segments = instancePath.split("/").slice(1).map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (child !== undefined) {
        segments.push(child);
    }
    return segments.reduce((text, segment) => (/^\d+$/.test(segment) ? `${text}[${segment}]`
        : /^[A-Za-z_$][\w$-]*$/.test(segment) ? (text === "" ? segment : `${text}.${segment}`)
            : `${text}[${JSON.stringify(segment)}]`), "");
}

export function describeValue(value: unknown): string {
    if (Array.isArray(value)) {
        return "a list";
    }
    if (value === null) {
        return "null";
    }
    const text = JSON.stringify(value);
    if (typeof value === "object") {
        return text.length > 40 ? "a mapping" : `a mapping ${text}`;
    }
    return `${typeNames[typeof value] === "true or false" ? "a boolean" : typeNames[typeof value] ?? typeof value} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

/** The value at a JSON pointer of ajv's (`/spec/containers/0`), or undefined. */
export function valueAt(root: unknown, instancePath: string): unknown {
    return instancePath.split("/").slice(1).reduce<unknown>((value, segment) => (value as Record<string, unknown> | undefined)?.[segment.replace(/~1/g, "/").replace(/~0/g, "~")], root);
}

/** "field.path: problem" for the first of ajv's errors. */
export function describeSchemaError(errors: readonly ErrorObject[], root: unknown): string {
    // In an anyOf/oneOf the branches' errors come first; the combined error, last, says more.
    const error = errors.find((candidate) => candidate.keyword === "anyOf" || candidate.keyword === "oneOf") ?? errors[0];
    const found = valueAt(root, error.instancePath);
    const at = fieldPath(error.instancePath);
    switch (error.keyword) {
        case "additionalProperties":
            return `${fieldPath(error.instancePath, String(error.params.additionalProperty))}: unknown field (the schema has no such field; check its spelling and indentation)`;
        case "required":
            return `${fieldPath(error.instancePath, String(error.params.missingProperty))}: required field is missing`;
        case "type": {
            const wanted = String(error.params.type).split(",").map((type) => typeNames[type] ?? type).join(" or ");
            const hint = error.params.type === "string" && (typeof found === "number" || typeof found === "boolean")
                ? `; write it in quotes ("${String(found)}")` : "";
            return `${at}: must be ${wanted}, found ${describeValue(found)}${hint}`;
        }
        case "anyOf":
        case "oneOf": {
            const wanted = errors.filter((branch) => branch.keyword === "type" && branch.instancePath === error.instancePath).map((branch) => typeNames[String(branch.params.type)] ?? String(branch.params.type));
            return `${at}: must be ${wanted.length > 0 ? wanted.join(" or ") : "one of the forms the schema allows"}, found ${describeValue(found)}`;
        }
        case "enum":
            return `${at}: must be one of ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ")}, found ${describeValue(found)}`;
        default:
            return `${at}: ${error.message ?? error.keyword}, found ${describeValue(found)}`;
    }
}
