/**
 * The CEL rules of the CRDs, compiled: each expression once, on first use (a run compiles only the
 * rules of the kinds it reads), and the list of the rules left out.
 */
import { Cel, loadCel } from "./celLibrary";
import type { CelRule } from "./celValue";

/**
 * The rules of the pinned CRDs that `ztmesh reach` does not evaluate, and why; a test checks
 * that this is every rule it skips. Transition rules (those that read `oldSelf`) are the only
 * kind: the API server evaluates them only when an object is updated, on the old and new value,
 * and `ztmesh reach` reads each object as created (there is no old object).
 */
export const rulesNotEvaluated: ReadonlyArray<{ readonly rule: string; readonly where: string; readonly reason: string }> = [
    {
        rule: "self == oldSelf",
        where: "GatewayClass spec.controllerName (gateway.networking.k8s.io v1 and v1beta1)",
        reason: "a transition rule (controllerName is immutable): the API server evaluates it only on update, and reach reads objects as created",
    },
];

/** Whether the parsed expression reads the identifier `name` anywhere. */
function readsIdentifier(expression: unknown, name: string): boolean {
    if (typeof expression !== "object" || expression === null) {
        return false;
    }
    const node = expression as { case?: unknown; value?: { name?: unknown } };
    if (node.case === "identExpr" && node.value?.name === name) {
        return true;
    }
    return Object.values(expression).some((child) => readsIdentifier(child, name));
}

/** An expression compiled: a program that gives the expression's value for `self` (an Error if evaluating it fails). */
export type Program = (self: unknown) => unknown;

/** A compiled expression, or "transition" for one that reads `oldSelf` (evaluated only on update), or the error parsing it raised. */
export type Compiled = Program | "transition" | Error;

const compiled = new Map<string, Compiled>();

/** The expression compiled (once per expression text). */
export function compile(expression: string): Compiled {
    let result = compiled.get(expression);
    if (result === undefined) {
        result = compileNow(expression);
        compiled.set(expression, result);
    }
    return result;
}

function compileNow(expression: string): Compiled {
    const { library, env } = loadCel();
    let parsed: ReturnType<Cel["parse"]>;
    try {
        parsed = library.parse(expression);
    } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
    }
    if (readsIdentifier(parsed, "oldSelf")) {
        return "transition";
    }
    const program = library.plan(env, parsed);
    return (self) => program({ self: self as never });
}

/** How the API server words a failed rule's `reason` before the message (FieldValueInvalid, the default, as every other error here: nothing). */
const reasonWords: Readonly<Record<string, string>> = { FieldValueForbidden: "Forbidden: ", FieldValueRequired: "Required value: ", FieldValueDuplicate: "Duplicate value: " };

/** The message of a failed rule, as the API server writes it: its reason, then its messageExpression's value, else its message, else the rule. */
export function failureMessage(rule: CelRule, self: unknown): string {
    const expression = rule.messageExpression === undefined ? undefined : compile(rule.messageExpression);
    const text = typeof expression === "function" ? expression(self) : undefined;
    // The API server falls back to the message when the expression fails or gives an empty or multi-line string.
    const message = typeof text === "string" && text.trim() !== "" && !text.includes("\n") ? text : rule.message ?? `failed rule: ${rule.rule}`;
    return `${reasonWords[rule.reason ?? ""] ?? ""}${message}`;
}
