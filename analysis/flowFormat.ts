/**
 * Flows as text (np-guard's `SRC => DST : CONNECTIONS` lines, optionally followed by the layer 7
 * grants in brackets) and as one JSON document. Control characters in names and notes are
 * escaped in the text (a name with a newline would forge a flow line); JSON escapes its own.
 */
import { formatConnectionSet } from "./netpol";
import { connectionLines, sortedByNames } from "./netpol/format";
import { formatGrants, formatPortSet } from "./istio/format";
import type { Flow, PublicRoute } from "./reach";
import { routeUrls } from "./istio/ingress";
import type { Grant, ValueSet } from "./istio/grants";
import { escapeControl } from "./text/escape";

/**
 * Without `l7` and notes, byte for byte the NetworkPolicy engine's listing. A flow's notes
 * follow its line, each on a line of its own starting with `  note: `.
 */
export function formatFlows(flows: readonly Flow[], options: { l7?: boolean } = {}): string {
    return Array.from(flowLines(flows, options)).join("");
}

/** The lines of `formatFlows` one at a time, for a listing too long to hold as one string. */
export function* flowLines(flows: readonly Flow[], options: { l7?: boolean } = {}): Generator<string> {
    if (!options.l7 && !flows.some((flow) => flow.notes)) {
        yield* connectionLines(flows);
        return;
    }
    for (const flow of sortedByNames(flows)) {
        const line = `${flow.src.name} => ${flow.dst.name} : ${formatConnectionSet(flow.allowed)}`;
        const grants = flow.l7 === undefined || !options.l7 ? "" : ` [${formatGrants(flow.l7, flow.allowed.ports("TCP"))}]`;
        // Ambient mode: which enforcement point decided (ztunnel, a waypoint).
        const decidedBy = options.l7 && flow.enforcedBy?.length ? ` (${flow.enforcedBy.join("; ")})` : "";
        const notes = (flow.notes ?? []).map((note) => `  note: ${escapeControl(note)}\n`).join("");
        yield `${escapeControl(`${line}${grants}${decidedBy}`)}\n${notes}`;
    }
}

export interface JsonFlow {
    src: string;
    dst: string;
    connections: string;
    /** Present when a proxy enforces layer 7 policy on the flow's TCP ports. */
    l7?: JsonGrant[];
    /**
     * What the listing cannot decide: Calico `http` matches (enforced by the application
     * layer), DENY or CUSTOM rules that apply only to some requests.
     */
    notes?: string[];
    /** Ambient mode: the enforcement points that admitted the flow. */
    enforcedBy?: string[];
}

/** `when`: conditions on request data under which alone the grant holds (absent: unconditional). */
export interface JsonGrant { ports: string; methods: JsonValueSet; paths: JsonValueSet; hosts: JsonValueSet; when?: string[] }

type JsonValueSet = "*" | string[] | { except: string[] } | { include: string[]; except: string[] };

/**
 * The public routes as a section after the flows: one line per route and destination, written
 * with `->` so that the ` => ` lines stay exactly the flows.
 */
export function formatPublicRoutes(routes: readonly PublicRoute[]): string {
    if (routes.length === 0) {
        return "";
    }
    const lines = routes.flatMap((route) => {
        const head = `${routeUrls(route).join(", ")}${route.methods ? ` (${route.methods.join(",")})` : ""} -> ${route.gateway}`
            + `${route.via.length > 0 ? ` [${route.via.join(", ")}]` : ""} (${route.route}) -> ${route.backend}`;
        const unevaluated = route.unevaluated ? ` (not evaluated: ${route.unevaluated.join(", ")})` : "";
        return route.destinations.length === 0
            ? [`${escapeControl(`${head}${unevaluated}`)}\n`]
            : route.destinations.map((d) => `${escapeControl(`${head} -> ${d.workload} TCP ${d.port}: ${d.status}, ${d.reason}${unevaluated}`)}\n`);
    });
    return `\nPublic routes (External -> gateway -> Service -> workload):\n${lines.join("")}`;
}

/**
 * `notEvaluated`: the policies read but left out of the flows ("file: Kind ns/name: not
 * evaluated: why"), present only when there are some.
 */
export function flowsToJson(flows: readonly Flow[], routes: readonly PublicRoute[] = [], notEvaluated: readonly string[] = []):
    { flows: JsonFlow[]; routes?: PublicRoute[]; notEvaluated?: string[] } {
    return {
        ...(notEvaluated.length > 0 ? { notEvaluated: [...notEvaluated] } : {}),
        ...(routes.length > 0 ? { routes: [...routes] } : {}),
        flows: sortedByNames(flows).map(flowToJson),
    };
}

/**
 * The text of `JSON.stringify(flowsToJson(flows, routes, notEvaluated), null, 2)` and a newline, a flow at a
 * time: an open cluster of a few thousand workloads has millions of flows, whose document as
 * one string passes V8's string limit (about 512 MB) and as one object tree multiplies the
 * command's memory. Each flow is stringified alone and indented to its depth (JSON strings
 * hold no raw newline, so re-indenting lines is safe).
 */
export function* flowsJsonParts(flows: readonly Flow[], routes: readonly PublicRoute[] = [], notEvaluated: readonly string[] = [], sections: Readonly<Record<string, unknown>> = {}): Generator<string> {
    const nested = (value: unknown, depth: number) => JSON.stringify(value, null, 2).replace(/\n/g, `\n${"  ".repeat(depth)}`);
    yield "{\n";
    // Sections of other analyses of the same input (the enforcement impact), before the flows.
    for (const [name, value] of Object.entries(sections)) {
        yield `  ${JSON.stringify(name)}: ${nested(value, 1)},\n`;
    }
    if (notEvaluated.length > 0) {
        yield `  "notEvaluated": ${nested(notEvaluated, 1)},\n`;
    }
    if (routes.length > 0) {
        yield `  "routes": ${nested(routes, 1)},\n`;
    }
    if (flows.length === 0) {
        yield `  "flows": []\n}\n`;
        return;
    }
    yield `  "flows": [\n`;
    const sorted = sortedByNames(flows);
    for (let index = 0; index < sorted.length; index++) {
        yield `    ${nested(flowToJson(sorted[index]), 2)}${index === sorted.length - 1 ? "" : ","}\n`;
    }
    yield "  ]\n}\n";
}

function flowToJson(flow: Flow): JsonFlow {
    return {
        src: flow.src.name,
        dst: flow.dst.name,
        connections: formatConnectionSet(flow.allowed),
        ...(flow.l7 === undefined ? {} : { l7: flow.l7.map(grantToJson) }),
        ...(flow.notes === undefined ? {} : { notes: [...flow.notes] }),
        ...(flow.enforcedBy?.length ? { enforcedBy: [...flow.enforcedBy] } : {}),
    };
}

function grantToJson(grant: Grant): JsonGrant {
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
