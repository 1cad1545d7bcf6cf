/**
 * The connectivity diff between two analyses (before and after a change): for every source and
 * destination whose allowed traffic differs, what each side allows. As netpol-analyzer's `diff`:
 *   - a pair is `changed` (allowed on both sides, differently), `added` (denied before) or
 *     `removed` (denied after); unchanged pairs are kept too, as the graph draws them;
 *   - a workload that exists on one side only is marked new (in an added pair) or lost (in a
 *     removed pair): it is absent from the other side's workloads, not merely unconnected;
 *   - External ranges: each side cuts the address space at its own policies' blocks, so the two
 *     are compared address by address and each result range is a maximal run of addresses with
 *     the same (before, after) towards one workload, in one direction. netpol-analyzer gets the
 *     same by cutting both sides at the union of their boundaries and merging touching ranges
 *     with equal connections (pkg/netpol/diff/diff.go mergeIPblocks); so a range can be in
 *     neither side's list, and ranges of different workloads can overlap.
 * With `l7`, the requests a flow allows at a meshed destination are part of what is compared.
 */
import { connectionsText } from "../formats/connlist";
import type { Endpoint } from "../netpol/connection";
import { compareNames, externalName, formatConnectionSet } from "../netpol/format";
import { Interval } from "../netpol/intervals";
import { Address } from "../netpol/ipRanges";
import { clusterFromObjects, Workload, workloadId } from "../netpol/workloads";
import type { KubeObject } from "../manifests";
import { Flow, reachability, ReachOptions } from "../reach";

/** One side of the comparison: its flows and every workload of its input (connected or not). */
export interface DiffSide {
    readonly flows: readonly Flow[];
    readonly workloads: readonly Workload[];
}

/**
 * Both sides of a diff analysed from their objects (reach.ts `reachability`, with the same
 * options). An analysis lists the IPv6 External space only in the directions where its
 * policies name IPv6 blocks; when either side lists some, both are analysed again with the
 * IPv6 space listed both ways, so that addresses one side never listed are not reported as
 * added or removed.
 */
export function diffSides(before: readonly KubeObject[], after: readonly KubeObject[], options: ReachOptions = {}): [DiffSide, DiffSide] {
    const analyse = (objects: readonly KubeObject[], withIpv6: boolean): DiffSide => ({ flows: reachability(objects, { ...options, withIpv6 }), workloads: clusterFromObjects(objects).workloads });
    const withIpv6 = options.withIpv6 === true;
    const sides = [analyse(before, withIpv6), analyse(after, withIpv6)];
    const listsIpv6 = sides.some((side) => side.flows.some((flow) => [flow.src, flow.dst].some((endpoint) => endpoint.kind === "external" && typeof endpoint.range.start === "bigint")));
    return listsIpv6 && !withIpv6 ? [analyse(before, true), analyse(after, true)] : [sides[0], sides[1]];
}

export interface DiffOptions {
    /** `--l7`: a change in the requests a flow allows (methods, paths, hosts) is a change. */
    readonly l7?: boolean;
}

export type DiffType = "changed" | "added" | "removed" | "unchanged";

/** What one side allows between a pair: its flow, and the flow's connections as printed. */
export interface SideConnections {
    readonly flow: Flow;
    /** `TCP 8080`, with `--l7` followed by the granted requests in brackets. */
    readonly text: string;
}

export interface PairDiff {
    readonly type: DiffType;
    readonly src: Endpoint;
    readonly dst: Endpoint;
    /** Absent: no connection before. */
    readonly before?: SideConnections;
    /** Absent: no connection after. */
    readonly after?: SideConnections;
    /** The source (destination) is a workload that exists on one side only. */
    readonly srcNewOrLost: boolean;
    readonly dstNewOrLost: boolean;
}

export interface ConnectivityDiff {
    readonly changed: readonly PairDiff[];
    readonly added: readonly PairDiff[];
    readonly removed: readonly PairDiff[];
    readonly unchanged: readonly PairDiff[];
}

/** Whether the diff has nothing but unchanged pairs. */
export function isEmptyDiff(diff: ConnectivityDiff): boolean {
    return diff.changed.length === 0 && diff.added.length === 0 && diff.removed.length === 0;
}

/** The diff from `before` to `after`; each group sorted by source, then destination name. */
export function connectivityDiff(before: DiffSide, after: DiffSide, options: DiffOptions = {}): ConnectivityDiff {
    // Flows between workloads of the same groups share one ConnectionSet, spelled once (formatConnectionSet), when no grants follow it.
    const spell = (flow: Flow): SideConnections => ({ flow, text: options.l7 && flow.l7 !== undefined ? connectionsText(flow, true) : formatConnectionSet(flow.allowed) });
    const beforeWorkloads = workloadNames(before);
    const afterWorkloads = workloadNames(after);
    const result: Record<DiffType, PairDiff[]> = { changed: [], added: [], removed: [], unchanged: [] };
    const record = (src: Endpoint, dst: Endpoint, was: SideConnections | undefined, now: SideConnections | undefined) => {
        const type: DiffType = was && now ? (was.text === now.text ? "unchanged" : "changed") : was ? "removed" : "added";
        // A workload is new (lost) when the side without the connection has no such workload at all.
        const other = type === "added" ? beforeWorkloads : afterWorkloads;
        const newOrLost = (endpoint: Endpoint) => (type === "added" || type === "removed") && endpoint.kind === "workload" && !other.has(endpoint.name);
        result[type].push({ type, src, dst, before: was, after: now, srcNewOrLost: newOrLost(src), dstNewOrLost: newOrLost(dst) });
    };

    const pairs = new Map<string, { src: Endpoint; dst: Endpoint; was?: SideConnections; now?: SideConnections }>();
    const ranges = new Map<string, { other: Endpoint; externalIsSource: boolean; was: RangeEntry[]; now: RangeEntry[] }>();
    for (const [side, flows] of [["was", before.flows], ["now", after.flows]] as const) {
        for (const flow of flows) {
            const connections = spell(flow);
            if (flow.src.kind === "external" || flow.dst.kind === "external") {
                const externalIsSource = flow.src.kind === "external";
                const external = externalIsSource ? flow.src : flow.dst;
                const other = externalIsSource ? flow.dst : flow.src;
                const key = `${externalIsSource ? "from" : "to"}\n${other.name}`;
                let group = ranges.get(key);
                if (!group) {
                    group = { other, externalIsSource, was: [], now: [] };
                    ranges.set(key, group);
                }
                if (external.kind === "external") {
                    group[side].push({ range: external.range, connections });
                }
            } else {
                const key = `${flow.src.name}\n${flow.dst.name}`;
                const pair = pairs.get(key) ?? { src: flow.src, dst: flow.dst };
                pair[side] = connections;
                pairs.set(key, pair);
            }
        }
    }
    for (const { src, dst, was, now } of pairs.values()) {
        record(src, dst, was, now);
    }
    for (const { other, externalIsSource, was, now } of ranges.values()) {
        for (const run of compareRanges(was, now)) {
            const external: Endpoint = { kind: "external", name: externalName(run.range), range: run.range };
            record(externalIsSource ? external : other, externalIsSource ? other : external, run.was, run.now);
        }
    }
    const byNames = (a: PairDiff, b: PairDiff) => compareNames(a.src.name, b.src.name) || compareNames(a.dst.name, b.dst.name);
    return { changed: result.changed.sort(byNames), added: result.added.sort(byNames), removed: result.removed.sort(byNames), unchanged: result.unchanged.sort(byNames) };
}

/** The workloads of a side: those of its input, and any its flows name (gateways and waypoints the analysis adds). */
function workloadNames(side: DiffSide): Set<string> {
    const names = new Set(side.workloads.map(workloadId));
    for (const flow of side.flows) {
        for (const endpoint of [flow.src, flow.dst]) {
            if (endpoint.kind === "workload") {
                names.add(endpoint.name);
            }
        }
    }
    return names;
}

interface RangeEntry {
    readonly range: Interval<Address>;
    readonly connections: SideConnections;
}

interface RangeRun {
    readonly range: Interval<Address>;
    readonly was?: SideConnections;
    readonly now?: SideConnections;
}

/**
 * The maximal runs of addresses over which what each side allows (towards one peer, in one
 * direction) stays the same, where at least one side allows something. Each side's ranges are
 * disjoint (one side's External peers partition the address space), so a sweep over the union
 * of their boundaries finds each address's pair of connections.
 */
function compareRanges(was: readonly RangeEntry[], now: readonly RangeEntry[]): RangeRun[] {
    const family = (entries: readonly RangeEntry[], kind: "number" | "bigint") => entries.filter((entry) => typeof entry.range.start === kind);
    return [...sweep(family(was, "number"), family(now, "number")), ...sweep(family(was, "bigint"), family(now, "bigint"))];
}

function sweep(was: readonly RangeEntry[], now: readonly RangeEntry[]): RangeRun[] {
    const next = (address: Address): Address => (typeof address === "bigint" ? address + 1n : address + 1);
    const previous = (address: Address): Address => (typeof address === "bigint" ? address - 1n : address - 1);
    const order = (a: Address, b: Address) => (a < b ? -1 : a > b ? 1 : 0);
    const points = [...new Set([...was, ...now].flatMap((entry) => [entry.range.start, next(entry.range.end)]))].sort(order);
    const byStart = (entries: readonly RangeEntry[]) => [...entries].sort((a, b) => order(a.range.start, b.range.start));
    const sides = [byStart(was), byStart(now)];
    const cursors = [0, 0];
    /** The entry of side `i` holding `address` (addresses only grow between calls). */
    const holding = (i: number, address: Address): RangeEntry | undefined => {
        const entries = sides[i];
        while (cursors[i] < entries.length && entries[cursors[i]].range.end < address) {
            cursors[i]++;
        }
        const entry = entries[cursors[i]];
        return entry !== undefined && entry.range.start <= address ? entry : undefined;
    };
    const runs: { range: { start: Address; end: Address }; was?: SideConnections; now?: SideConnections }[] = [];
    for (let i = 0; i + 1 < points.length; i++) {
        const start = points[i];
        const end = previous(points[i + 1]);
        const before = holding(0, start)?.connections;
        const after = holding(1, start)?.connections;
        if (!before && !after) {
            continue;
        }
        const last = runs[runs.length - 1];
        if (last && next(last.range.end) === start && last.was?.text === before?.text && last.now?.text === after?.text) {
            last.range.end = end;
        } else {
            runs.push({ range: { start, end }, was: before, now: after });
        }
    }
    return runs;
}
