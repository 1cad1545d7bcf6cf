/**
 * Flows as text (np-guard's `SRC => DST : CONNECTIONS` lines, optionally followed by the layer 7
 * grants in brackets) and as one JSON document.
 */
import { formatConnections, formatConnectionSet } from "./netpol";
import { compareNames } from "./netpol/format";
import { formatGrants, formatPortSet } from "./istio/format";
import type { Flow } from "./reach";
import type { Grant, ValueSet } from "./istio/grants";

/** Without `l7`, byte for byte the NetworkPolicy engine's listing. */
export function formatFlows(flows: readonly Flow[], options: { l7?: boolean } = {}): string {
    if (!options.l7) {
        return formatConnections(flows);
    }
    return sorted(flows)
        .map((flow) => {
            const line = `${flow.src.name} => ${flow.dst.name} : ${formatConnectionSet(flow.allowed)}`;
            const notes = flow.notes === undefined ? "" : ` (note: ${flow.notes.join("; ")})`;
            return flow.l7 === undefined ? `${line}\n` : `${line} [${formatGrants(flow.l7, flow.allowed.ports("TCP"))}]${notes}\n`;
        })
        .join("");
}

export interface JsonFlow {
    src: string;
    dst: string;
    connections: string;
    /** Present when a proxy enforces layer 7 policy on the flow's TCP ports. */
    l7?: JsonGrant[];
    /** DENY or CUSTOM rules that apply only to some requests, which the grants cannot hold. */
    notes?: string[];
}

/** `when`: conditions on request data under which alone the grant holds (absent: unconditional). */
export interface JsonGrant { ports: string; methods: JsonValueSet; paths: JsonValueSet; hosts: JsonValueSet; when?: string[] }

type JsonValueSet = "*" | string[] | { except: string[] } | { include: string[]; except: string[] };

export function flowsToJson(flows: readonly Flow[]): { flows: JsonFlow[] } {
    return {
        flows: sorted(flows).map((flow) => ({
            src: flow.src.name,
            dst: flow.dst.name,
            connections: formatConnectionSet(flow.allowed),
            ...(flow.l7 === undefined ? {} : { l7: flow.l7.map(grantToJson) }),
            ...(flow.notes === undefined ? {} : { notes: [...flow.notes] }),
        })),
    };
}

export function grantToJson(grant: Grant): JsonGrant {
    return {
        ports: formatPortSet(grant.ports),
        methods: valueSetToJson(grant.methods),
        paths: valueSetToJson(grant.paths),
        hosts: valueSetToJson(grant.hosts),
        ...(grant.when.length === 0 ? {} : { when: [...grant.when] }),
    };
}

function valueSetToJson(set: ValueSet): JsonValueSet {
    if (set.exclude.length === 0) {
        return set.include === "*" ? "*" : [...set.include];
    }
    return set.include === "*" ? { except: [...set.exclude] } : { include: [...set.include], except: [...set.exclude] };
}

function sorted(flows: readonly Flow[]): Flow[] {
    return [...flows].sort((a, b) => compareNames(a.src.name, b.src.name) || compareNames(a.dst.name, b.dst.name));
}
