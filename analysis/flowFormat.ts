/**
 * Flows as text (np-guard's `SRC => DST : CONNECTIONS` lines, optionally followed by the layer 7
 * grants in brackets) and as one JSON document.
 */
import { formatConnections, formatConnectionSet } from "./netpol";
import { compareNames } from "./netpol/format";
import { formatGrants } from "./istio/format";
import type { Flow } from "./reach";
import type { Grant, ValueSet } from "./istio/grants";
import { IntervalSet } from "./netpol/intervals";

/**
 * Without `l7` and notes, byte for byte the NetworkPolicy engine's listing. A flow's notes
 * follow its line, each on a line of its own starting with `  note: `.
 */
export function formatFlows(flows: readonly Flow[], options: { l7?: boolean } = {}): string {
    if (!options.l7 && !flows.some((flow) => flow.notes)) {
        return formatConnections(flows);
    }
    return sorted(flows)
        .map((flow) => {
            const line = `${flow.src.name} => ${flow.dst.name} : ${formatConnectionSet(flow.allowed)}`;
            const grants = flow.l7 === undefined || !options.l7 ? "" : ` [${formatGrants(flow.l7, flow.allowed.ports("TCP"))}]`;
            // Ambient mode: which enforcement point decided (ztunnel, a waypoint).
            const decidedBy = options.l7 && flow.enforcedBy?.length ? ` (${flow.enforcedBy.join("; ")})` : "";
            const notes = (flow.notes ?? []).map((note) => `  note: ${note}\n`).join("");
            return `${line}${grants}${decidedBy}\n${notes}`;
        })
        .join("");
}

export interface JsonFlow {
    src: string;
    dst: string;
    connections: string;
    /** Present when a sidecar enforces layer 7 policy on the flow's TCP ports. */
    l7?: { ports: string; methods: JsonValueSet; paths: JsonValueSet }[];
    /** What the listing cannot decide (Calico `http` matches, which the application layer enforces). */
    notes?: string[];
    /** Ambient mode: the enforcement points that admitted the flow. */
    enforcedBy?: string[];
}

type JsonValueSet = "*" | string[] | { except: string[] } | { include: string[]; except: string[] };

export function flowsToJson(flows: readonly Flow[]): { flows: JsonFlow[] } {
    return {
        flows: sorted(flows).map((flow) => ({
            src: flow.src.name,
            dst: flow.dst.name,
            connections: formatConnectionSet(flow.allowed),
            ...(flow.l7 === undefined ? {} : { l7: flow.l7.map(grantToJson) }),
            ...(flow.notes === undefined ? {} : { notes: [...flow.notes] }),
            ...(flow.enforcedBy?.length ? { enforcedBy: [...flow.enforcedBy] } : {}),
        })),
    };
}

function grantToJson(grant: Grant): { ports: string; methods: JsonValueSet; paths: JsonValueSet } {
    return { ports: formatPorts(grant.ports), methods: valueSetToJson(grant.methods), paths: valueSetToJson(grant.paths) };
}

function valueSetToJson(set: ValueSet): JsonValueSet {
    if (set.exclude.length === 0) {
        return set.include === "*" ? "*" : [...set.include];
    }
    return set.include === "*" ? { except: [...set.exclude] } : { include: [...set.include], except: [...set.exclude] };
}

function formatPorts(ports: IntervalSet): string {
    return ports.intervals.map((i) => (i.start === i.end ? `${i.start}` : `${i.start}-${i.end}`)).join(",");
}

function sorted(flows: readonly Flow[]): Flow[] {
    return [...flows].sort((a, b) => compareNames(a.src.name, b.src.name) || compareNames(a.dst.name, b.dst.name));
}
