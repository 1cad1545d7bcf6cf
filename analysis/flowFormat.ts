/**
 * Flows as text (np-guard's `SRC => DST : CONNECTIONS` lines, optionally followed by the layer 7
 * grants in brackets) and as one JSON document.
 */
import { formatConnectionSet } from "./netpol";
import { connectionLines, sortedByNames } from "./netpol/format";
import { formatGrants } from "./istio/format";
import type { Flow } from "./reach";
import type { Grant, ValueSet } from "./istio/grants";
import { IntervalSet } from "./netpol/intervals";

/** Without `l7`, byte for byte the NetworkPolicy engine's listing. */
export function formatFlows(flows: readonly Flow[], options: { l7?: boolean } = {}): string {
    return Array.from(flowLines(flows, options)).join("");
}

/** The lines of `formatFlows` one at a time, for a listing too long to hold as one string. */
export function* flowLines(flows: readonly Flow[], options: { l7?: boolean } = {}): Generator<string> {
    if (!options.l7) {
        yield* connectionLines(flows);
        return;
    }
    for (const flow of sortedByNames(flows)) {
        const line = `${flow.src.name} => ${flow.dst.name} : ${formatConnectionSet(flow.allowed)}`;
        yield flow.l7 === undefined ? `${line}\n` : `${line} [${formatGrants(flow.l7, flow.allowed.ports("TCP"))}]\n`;
    }
}

export interface JsonFlow {
    src: string;
    dst: string;
    connections: string;
    /** Present when a sidecar enforces layer 7 policy on the flow's TCP ports. */
    l7?: { ports: string; methods: JsonValueSet; paths: JsonValueSet }[];
}

type JsonValueSet = "*" | string[] | { except: string[] } | { include: string[]; except: string[] };

export function flowsToJson(flows: readonly Flow[]): { flows: JsonFlow[] } {
    return {
        flows: sortedByNames(flows).map((flow) => ({
            src: flow.src.name,
            dst: flow.dst.name,
            connections: formatConnectionSet(flow.allowed),
            ...(flow.l7 === undefined ? {} : { l7: flow.l7.map(grantToJson) }),
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
