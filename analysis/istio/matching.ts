/**
 * Istio's string matching for AuthorizationPolicy fields: exact `abc`, prefix `abc*`, suffix
 * `*abc`, and `*` alone for any (present) value.
 */
export function matchesPattern(pattern: string, value: string): boolean {
    if (pattern === "*") {
        return value !== "";
    }
    if (pattern.endsWith("*")) {
        return value.startsWith(pattern.slice(0, -1));
    }
    if (pattern.startsWith("*")) {
        return value.endsWith(pattern.slice(1));
    }
    return value === pattern;
}

type Shape = { kind: "any" } | { kind: "exact" | "prefix" | "suffix"; text: string };

function shape(pattern: string): Shape {
    if (pattern === "*") {
        return { kind: "any" };
    }
    if (pattern.endsWith("*")) {
        return { kind: "prefix", text: pattern.slice(0, -1) };
    }
    return pattern.startsWith("*") ? { kind: "suffix", text: pattern.slice(1) } : { kind: "exact", text: pattern };
}

/** Whether every value `inner` matches, `outer` matches too (false when unsure). */
export function patternCovers(outer: string, inner: string): boolean {
    const o = shape(outer);
    const i = shape(inner);
    if (o.kind === "any") {
        return true;
    }
    if (i.kind === "any") {
        return false;
    }
    if (i.kind === "exact") {
        return matchesPattern(outer, i.text);
    }
    return o.kind === i.kind && (o.kind === "prefix" ? i.text.startsWith(o.text) : i.text.endsWith(o.text));
}

/**
 * The values both patterns match, as one pattern; `null` when they share none. A prefix
 * against a suffix has no single pattern (`/a*` and `*b`): that is approximated by none,
 * which can only understate what a grant allows.
 */
export function intersectPatterns(a: string, b: string): string | null {
    if (patternCovers(a, b)) {
        return b;
    }
    if (patternCovers(b, a)) {
        return a;
    }
    return null;
}
