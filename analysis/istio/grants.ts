/**
 * Layer 7 permissions as a small set representation: a list of grants, each the requests on
 * some TCP ports whose method is in a method set, whose path is in a path set and whose host
 * (`Host` / `:authority`) is in a host set, possibly only under request conditions the
 * analysis cannot decide (`when`: a request header, the JWT principal, ...).
 *
 *   - Method sets are exact: a finite list, or "every method but a finite list".
 *   - Path sets are "any of these patterns, except any of those patterns" (Istio patterns:
 *     exact, `prefix*`, `*suffix`, `*`). Taking a DENY's paths out of a grant adds them to its
 *     exceptions (exact); keeping only a DENY's `notPaths` intersects patterns pairwise, where
 *     a prefix against a suffix is dropped (an understatement, never an overstatement).
 *   - Emptiness is decided by pattern coverage, so a grant whose exceptions cover its paths
 *     in a way coverage cannot see survives (`/a*` except `/a/*` and `/a`... would not).
 *
 * A list of grants is their union; subtracting a grant splits others into at most three.
 */
import { IntervalSet } from "../netpol/intervals";
import { allPorts } from "../netpol/ports";
import { intersectPatterns, patternCovers } from "./matching";

/** `include` `"*"`: every value; the values matching some `include` and no `exclude`. A finite `include` has no `exclude` after normalizing. */
export interface ValueSet {
    readonly include: "*" | readonly string[];
    readonly exclude: readonly string[];
}

export interface Grant {
    /** TCP ports. */
    readonly ports: IntervalSet;
    readonly methods: ValueSet;
    readonly paths: ValueSet;
    /** Istio patterns, lower case (hosts match case-insensitively). */
    readonly hosts: ValueSet;
    /**
     * Conditions on request data that all must hold (`request.headers[x-user] in [alice]`),
     * sorted; empty when the grant is unconditional.
     */
    readonly when: readonly string[];
}

export const anyValue: ValueSet = { include: "*", exclude: [] };
export const allRequests: Grant = { ports: allPorts, methods: anyValue, paths: anyValue, hosts: anyValue, when: [] };

const unique = (values: Iterable<string>) => [...new Set(values)].sort();

// ---- methods: exact values

export function methodSet(include: readonly string[] | undefined, exclude: readonly string[] | undefined): ValueSet {
    return normalizeMethods({ include: include ?? "*", exclude: exclude ?? [] });
}

function normalizeMethods(set: ValueSet): ValueSet {
    if (set.include === "*") {
        return { include: "*", exclude: unique(set.exclude) };
    }
    return { include: unique(set.include.filter((method) => !set.exclude.includes(method))), exclude: [] };
}

function intersectMethods(a: ValueSet, b: ValueSet): ValueSet {
    const include = a.include === "*" ? b.include : b.include === "*" ? a.include : a.include.filter((method) => (b.include as readonly string[]).includes(method));
    return normalizeMethods({ include, exclude: [...a.exclude, ...b.exclude] });
}

function subtractMethods(a: ValueSet, b: ValueSet): ValueSet {
    // not(b) is "everything but b.include" or, when b.include is "*", exactly b.exclude.
    return intersectMethods(a, b.include === "*" ? { include: b.exclude, exclude: [] } : { include: "*", exclude: b.include });
}

// ---- paths: Istio patterns

export function pathSet(include: readonly string[] | undefined, exclude: readonly string[] | undefined): ValueSet {
    return { include: include === undefined || include.includes("*") ? "*" : unique(include), exclude: unique(exclude ?? []) };
}

/** Host patterns: as paths, compared in lower case. */
export function hostSet(include: readonly string[] | undefined, exclude: readonly string[] | undefined): ValueSet {
    const lower = (values: readonly string[] | undefined) => values?.map((value) => value.toLowerCase());
    return pathSet(lower(include), lower(exclude));
}

/** The values both sets hold; a prefix against a suffix pattern is dropped (an understatement). */
function intersectPatternSets(a: ValueSet, b: ValueSet): ValueSet {
    const include = a.include === "*" ? b.include : b.include === "*" ? a.include
        : unique(a.include.flatMap((p) => (b.include as readonly string[]).map((q) => intersectPatterns(p, q)).filter((r): r is string => r !== null)));
    return { include, exclude: unique([...a.exclude, ...b.exclude]) };
}

/** `a` less `b`: (a less b.include) plus (a within b.exclude), as up to two sets. */
function subtractPatternSets(a: ValueSet, b: ValueSet): ValueSet[] {
    const outside = b.include === "*" ? [] : [{ include: a.include, exclude: unique([...a.exclude, ...b.include]) }];
    const within = b.exclude.length === 0 ? [] : [{
        include: a.include === "*" ? b.exclude : unique(a.include.flatMap((p) => b.exclude.map((q) => intersectPatterns(p, q)).filter((r): r is string => r !== null))),
        exclude: a.exclude,
    }];
    return [...outside, ...within].filter((set) => !isEmptySet(set, false));
}

function isEmptySet(set: ValueSet, exactValues: boolean): boolean {
    if (set.include === "*") {
        return exactValues ? false : set.exclude.includes("*");
    }
    return set.include.every((value) => set.exclude.some((excluded) => (exactValues ? excluded === value : patternCovers(excluded, value))));
}

// ---- grants

export function isEmptyGrant(grant: Grant): boolean {
    return grant.ports.isEmpty() || isEmptySet(grant.methods, true) || isEmptySet(grant.paths, false) || isEmptySet(grant.hosts, false);
}

/**
 * `grants` less every request `deny` covers (whatever conditions the grants carry: a request
 * that meets them is still denied). `deny.when` must be empty: a DENY under undecidable
 * conditions takes nothing away (the caller reports it as a note instead).
 */
export function subtractGrant(grants: readonly Grant[], deny: Grant): Grant[] {
    return grants.flatMap((grant) => {
        const shared = grant.ports.intersect(deny.ports);
        if (shared.isEmpty()) {
            return [grant];
        }
        const methods = intersectMethods(grant.methods, deny.methods);
        const paths = intersectPatternSets(grant.paths, deny.paths);
        const pieces: Grant[] = [
            { ...grant, ports: grant.ports.subtract(deny.ports) },
            { ...grant, ports: shared, methods: subtractMethods(grant.methods, deny.methods) },
            ...subtractPatternSets(grant.paths, deny.paths).map((rest) => ({ ...grant, ports: shared, methods, paths: rest })),
            ...subtractPatternSets(grant.hosts, deny.hosts).map((hosts) => ({ ...grant, ports: shared, methods, paths, hosts })),
        ];
        return pieces.filter((piece) => !isEmptyGrant(piece));
    });
}

/** The requests of `grant` that also fall under `other` (ports, methods, paths, hosts; `when` of both). */
export function intersectGrant(grant: Grant, other: Grant): Grant {
    return {
        ports: grant.ports.intersect(other.ports),
        methods: intersectMethods(grant.methods, other.methods),
        paths: intersectPatternSets(grant.paths, other.paths),
        hosts: intersectPatternSets(grant.hosts, other.hosts),
        when: unique([...grant.when, ...other.when]),
    };
}

/** Grants restricted to `ports`; empty ones dropped, and grants alike but for their ports merged. */
export function clipGrants(grants: readonly Grant[], ports: IntervalSet): Grant[] {
    if (grants.length === 1) {
        // The common case (one rule, or all requests) needs no merging.
        const clipped = { ...grants[0], ports: grants[0].ports.intersect(ports) };
        return isEmptyGrant(clipped) ? [] : [clipped];
    }
    const merged = new Map<string, Grant>();
    for (const grant of grants) {
        const clipped = { ...grant, ports: grant.ports.intersect(ports) };
        if (isEmptyGrant(clipped)) {
            continue;
        }
        const key = JSON.stringify([clipped.methods, clipped.paths, clipped.hosts, clipped.when]);
        const before = merged.get(key);
        merged.set(key, before ? { ...before, ports: before.ports.union(clipped.ports) } : clipped);
    }
    return [...merged.values()];
}

export function grantPorts(grants: readonly Grant[]): IntervalSet {
    return grants.reduce((ports, grant) => ports.union(grant.ports), IntervalSet.empty);
}

export function isAnyValue(set: ValueSet): boolean {
    return set.include === "*" && set.exclude.length === 0;
}

export function isAllRequests(grant: Grant): boolean {
    return isAnyValue(grant.methods) && isAnyValue(grant.paths) && isAnyValue(grant.hosts) && grant.when.length === 0;
}
