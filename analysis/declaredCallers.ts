/**
 * Reads the callers a Service declares (`callersAnnotation`, JSON that MeshService writes) with
 * a strict schema, so that a hand-written or damaged annotation is refused with the field that
 * is wrong, where a plain `JSON.parse` would pass a string where a list belongs on to code that
 * then fails far from the cause. `ztmesh reach` checks it while it validates the manifests, the
 * policy pack's intent rule when it reads the Services.
 */
import { callersAnnotation, DeclaredCaller } from "../common/wellKnown";
import { describeValue, fieldPath } from "./schema/schemaErrors";

/** The annotation as a field path in messages: `metadata.annotations["ztmesh.io/declared-callers"]`. */
export const callersField = `metadata.annotations[${JSON.stringify(callersAnnotation)}]`;

const shape = "a JSON list of {namespace, podLabels, ports, methods?, paths?}, as MeshService writes it";

/**
 * The annotation's schema, built on first use: loading zod is about a tenth of a second of the
 * command's start-up, and most inputs hold no annotation.
 */
function declaredCallersSchema() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { z }: typeof import("zod") = require("zod");
    return z.array(z.strictObject({
        namespace: z.string({ error: "must be a namespace name (a string)" }).min(1, { error: "must be a namespace name, not empty" }),
        podLabels: z.record(z.string(), z.string({ error: "must be a string (a label value)" }), { error: "must be a mapping of label names to values" }),
        ports: z.array(z.int({ error: "must be a port number (an integer)" }).min(1, { error: "must be a port number from 1 to 65535" }).max(65535, { error: "must be a port number from 1 to 65535" }),
            { error: "must be a list of port numbers" }),
        methods: z.array(z.string({ error: "must be a string (an HTTP method)" }), { error: "must be a list of HTTP methods (strings)" }).optional(),
        paths: z.array(z.string({ error: "must be a string (an HTTP path)" }), { error: "must be a list of HTTP paths (strings)" }).optional(),
    }, { error: "must be a mapping {namespace, podLabels, ports, methods?, paths?}" }), { error: `must be ${shape}` });
}

let schema: ReturnType<typeof declaredCallersSchema> | undefined;

export type DeclaredCallersResult = { readonly callers: DeclaredCaller[] } | { readonly problem: string };

/** The callers in the annotation's `text`, or its first problem as `metadata.annotations["..."]: where: what`. */
export function parseDeclaredCallers(text: unknown): DeclaredCallersResult {
    if (typeof text !== "string") {
        return { problem: `${callersField}: must be a string holding ${shape}, found ${describeValue(text)}` };
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (error) {
        return { problem: `${callersField}: is not JSON (${(error as Error).message}); it must be ${shape}` };
    }
    schema ??= declaredCallersSchema();
    const parsed = schema.safeParse(value);
    if (parsed.success) {
        return { callers: parsed.data };
    }
    const issue = parsed.error.issues[0];
    const where = (path: readonly PropertyKey[]) => {
        const inside = fieldPath(path.map((segment) => `/${String(segment).replace(/~/g, "~0").replace(/\//g, "~1")}`).join(""));
        return `${callersField}${inside === "" || inside.startsWith("[") ? inside : `.${inside}`}`;
    };
    if (issue.code === "unrecognized_keys") {
        return { problem: `${where([...issue.path, issue.keys[0]])}: unknown key; the keys of a declared caller are ${Object.keys(schema.element.shape).join(", ")}` };
    }
    const found = issue.path.reduce<unknown>((at, segment) => (at as Record<PropertyKey, unknown> | undefined)?.[segment], value);
    return { problem: found === undefined ? `${where(issue.path)}: required field is missing; it ${issue.message}` : `${where(issue.path)}: ${issue.message}, found ${describeValue(found)}` };
}

/** The validation rule: the annotation of a Service, if any, as `parseDeclaredCallers` reads it. */
export function declaredCallersProblem(annotations: Record<string, unknown> | undefined): string | undefined {
    const text = annotations?.[callersAnnotation];
    if (text === undefined) {
        return undefined;
    }
    const result = parseDeclaredCallers(text);
    return "problem" in result ? result.problem : undefined;
}
