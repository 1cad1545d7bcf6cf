/**
 * One spelling for a union of grants, so that equal permissions print (and compare) equally
 * however the policies happened to be split into rules. The grants are partitioned dimension by
 * dimension — TCP ports, then methods, then hosts — into the coarsest pieces on which the same
 * requests are granted, and within each piece the paths of its grants are united; grants alike
 * but for their ports are merged last. Grants under different request conditions (`when`) are
 * never merged with each other.
 *
 * Exact where the values are: ports, methods (exact names), exact hosts and exact paths. Host
 * patterns (`*.example.com`) are not partitioned (grants with them are grouped by their host
 * set as written). Path sets unite when one holds the other, or when their union is again a
 * single "any of / any but" set; others are kept side by side: the result is then a correct
 * union, only not the shortest one.
 */
import { IntervalSet } from "../netpol/intervals";
import { Grant, isEmptyGrant, ValueSet } from "./grants";
import { intersectPatterns, patternCovers } from "./matching";

/** The grants in canonical form, ordered by their lowest port, then by their text. */
export function canonicalGrants(grants: readonly Grant[]): Grant[] {
    if (grants.length === 1 && !isEmptyGrant(grants[0])) {
        // One grant is its own partition; only its paths may need spelling out.
        return [{ ...grants[0], paths: normalizePaths(grants[0].paths) }];
    }
    const byWhen = groupBy(grants.filter((grant) => !isEmptyGrant(grant)), (grant) => grant.when.join("\n"));
    const pieces = [...byWhen.values()].flatMap((group) => byPorts(group).map((grant) => ({ ...grant, when: group[0].when })));
    return mergePorts(pieces).sort((a, b) => a.ports.intervals[0].start - b.ports.intervals[0].start || compare(sortKey(a), sortKey(b)));
}

type Piece = Omit<Grant, "when">;
type Rest = Omit<Piece, "ports">;

function byPorts(grants: readonly Grant[]): Piece[] {
    const cuts = [...new Set(grants.flatMap((grant) => grant.ports.boundaries()))].sort((a, b) => a - b);
    const atoms = cuts.slice(1).map((end, i) => IntervalSet.range(cuts[i], end - 1));
    const groups = new Map<string, { ports: IntervalSet; rests: Rest[] }>();
    for (const atom of atoms) {
        const covering = grants.filter((grant) => !grant.ports.intersect(atom).isEmpty());
        if (covering.length === 0) {
            continue;
        }
        const rests = byMethods(covering);
        const key = JSON.stringify(rests);
        const group = groups.get(key);
        groups.set(key, { ports: group ? group.ports.union(atom) : atom, rests });
    }
    return [...groups.values()].flatMap(({ ports, rests }) => rests.map((rest) => ({ ports, ...rest })));
}

function byMethods(grants: readonly Grant[]): Rest[] {
    return partition(grants.map((grant) => grant.methods), (members) => byHosts(members.map((i) => grants[i])))
        .flatMap(({ set, parts }) => parts.map((part) => ({ methods: set, ...part })));
}

function byHosts(grants: readonly Grant[]): Omit<Rest, "methods">[] {
    const exact = grants.every((grant) => [...(grant.hosts.include === "*" ? [] : grant.hosts.include), ...grant.hosts.exclude].every(isExact));
    if (!exact) {
        return [...groupBy(grants, (grant) => JSON.stringify(grant.hosts)).values()]
            .flatMap((group) => unitePaths(group.map((grant) => grant.paths)).map((paths) => ({ hosts: group[0].hosts, paths })));
    }
    return partition(grants.map((grant) => grant.hosts), (members) => unitePaths(members.map((i) => grants[i].paths)))
        .flatMap(({ set, parts }) => parts.map((paths) => ({ hosts: set, paths })));
}

/**
 * Splits the values of exact-valued sets into atoms (each value named, and "any other") and
 * groups the atoms on which `below` (given the indexes of the sets holding the atom) is equal.
 */
function partition<T>(sets: readonly ValueSet[], below: (members: number[]) => T[]): { set: ValueSet; parts: T[] }[] {
    const named = [...new Set(sets.flatMap((set) => [...(set.include === "*" ? [] : set.include), ...set.exclude]))].sort(compare);
    const holds = (set: ValueSet, value: string | undefined) =>
        value === undefined ? set.include === "*" : set.include === "*" ? !set.exclude.includes(value) : set.include.includes(value);
    const groups = new Map<string, { values: (string | undefined)[]; parts: T[] }>();
    for (const value of [...named, undefined]) {
        const members = sets.flatMap((set, index) => (holds(set, value) ? [index] : []));
        if (members.length === 0) {
            continue;
        }
        const parts = below(members);
        const key = JSON.stringify(parts);
        const group = groups.get(key);
        if (group) {
            group.values.push(value);
        } else {
            groups.set(key, { values: [value], parts });
        }
    }
    return [...groups.values()].filter((group) => group.parts.length > 0).map(({ values, parts }) => ({
        set: values.includes(undefined)
            ? { include: "*", exclude: named.filter((value) => !values.includes(value)) }
            : { include: values as string[], exclude: [] },
        parts,
    }));
}

/** Path sets united where the union is again one set; the others stay side by side. */
function unitePaths(sets: readonly ValueSet[]): ValueSet[] {
    const united: ValueSet[] = [];
    for (const set of sets.map(normalizePaths)) {
        const index = united.findIndex((other) => unite(other, set) !== undefined);
        if (index < 0) {
            united.push(set);
        } else {
            united[index] = unite(united[index], set)!;
        }
    }
    return united.sort((a, b) => compare(JSON.stringify(a), JSON.stringify(b)));
}

/** A listed set keeps only the values its exceptions do not cover (exact values only). */
function normalizePaths(set: ValueSet): ValueSet {
    if (set.include === "*" || !set.include.every(isExact)) {
        return set;
    }
    return { include: set.include.filter((value) => !set.exclude.some((excluded) => patternCovers(excluded, value))), exclude: [] };
}

function unite(a: ValueSet, b: ValueSet): ValueSet | undefined {
    // One set holding the other is their union, whatever their exceptions (`/foo*` and `/foo* !/foo/bar*`).
    if (setCovers(a, b)) {
        return a;
    }
    if (setCovers(b, a)) {
        return b;
    }
    if (a.include === "*" && b.include === "*") {
        // What both exclude; exact only where each exception lies within or outside the other's.
        const both = (x: readonly string[], y: readonly string[]) => x.filter((value) => y.some((other) => patternCovers(other, value)));
        const kept = new Set([...both(a.exclude, b.exclude), ...both(b.exclude, a.exclude)]);
        const partial = a.exclude.some((x) => b.exclude.some((y) => partlyOverlap(x, y)));
        return partial ? undefined : { include: "*", exclude: [...kept].sort(compare) };
    }
    if (a.include === "*" || b.include === "*") {
        const [star, list] = a.include === "*" ? [a, b] : [b, a];
        if (list.exclude.length > 0) {
            return undefined;
        }
        const listed = list.include as readonly string[];
        const covered = (value: string) => listed.some((item) => patternCovers(item, value));
        // An exception a listed value lies within (`/admin*` and `/admin/ok`) would need a hole in the hole.
        if (star.exclude.some((value) => !covered(value) && listed.some((item) => patternCovers(value, item) || partlyOverlap(value, item)))) {
            return undefined;
        }
        return { include: "*", exclude: star.exclude.filter((value) => !covered(value)) };
    }
    if (a.exclude.length > 0 || b.exclude.length > 0) {
        return undefined;
    }
    const values = [...new Set([...a.include, ...b.include])];
    return { include: values.filter((value) => !values.some((other) => other !== value && patternCovers(other, value))).sort(compare), exclude: [] };
}

/** Whether every path `inner` holds, `outer` holds too (false when unsure). */
function setCovers(outer: ValueSet, inner: ValueSet): boolean {
    if (inner.include === "*") {
        // Any path but inner's exceptions: outer too must hold any path, and except only what inner excepts.
        return outer.include === "*" && outer.exclude.every((excluded) => inner.exclude.some((other) => patternCovers(other, excluded)));
    }
    const outerIncludes = (value: string) => outer.include === "*" || outer.include.some((item) => patternCovers(item, value));
    // Each of outer's exceptions must miss the value, or take from it only what inner excepts too.
    const exceptionHarmless = (excluded: string, value: string) => {
        const common = intersectPatterns(excluded, value);
        return common === null ? !partlyOverlap(excluded, value) : inner.exclude.some((other) => patternCovers(other, common));
    };
    return inner.include.every((value) => outerIncludes(value) && outer.exclude.every((excluded) => exceptionHarmless(excluded, value)));
}

/** A prefix and a suffix pattern share values (`/a*`, `*.json`) that no single pattern spells. */
function partlyOverlap(a: string, b: string): boolean {
    const kind = (pattern: string) => (pattern === "*" || isExact(pattern) ? "other" : pattern.endsWith("*") ? "prefix" : "suffix");
    const kinds = new Set([kind(a), kind(b)]);
    return kinds.has("prefix") && kinds.has("suffix");
}

function mergePorts(pieces: readonly Grant[]): Grant[] {
    const merged = new Map<string, Grant>();
    for (const piece of pieces) {
        const key = JSON.stringify([piece.methods, piece.paths, piece.hosts, piece.when]);
        const before = merged.get(key);
        merged.set(key, before ? { ...before, ports: before.ports.union(piece.ports) } : piece);
    }
    return [...merged.values()];
}

const isExact = (value: string) => !value.startsWith("*") && !value.endsWith("*");

function sortKey(grant: Grant): string {
    const text = (set: ValueSet) => [set.include === "*" ? "*" : set.include.join(","), ...set.exclude.map((value) => `!${value}`)].join(" ");
    return [text(grant.methods), text(grant.paths), text(grant.hosts), ...grant.when, grant.ports.boundaries().join(",")].join(" ");
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const item of items) {
        const k = key(item);
        groups.set(k, [...(groups.get(k) ?? []), item]);
    }
    return groups;
}

function compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}
