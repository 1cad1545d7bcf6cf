/**
 * The connectivity list in netpol-analyzer's `list` formats (txt, csv, md, dot), with its
 * `--exposure` section when an exposure analysis is given. On Kubernetes-only input each is
 * byte for byte netpol-analyzer's (test/conformance/netpolList.test.ts, netpolExposure.test.ts).
 */
import { ExposedWorkload, ExposureEntry, exposureTargetText, SideExposure } from "../exposure/exposure";
import { flowLines } from "../flowFormat";
import { formatGrants } from "../istio/format";
import { formatConnectionSet } from "../netpol";
import type { Endpoint } from "../netpol/connection";
import type { ConnectionSet } from "../netpol/ports";
import { compareNames, sortedByNames } from "../netpol/format";
import { workloadId } from "../netpol/workloads";
import type { Flow } from "../reach";
import { FocusedList } from "./focus";
import { dotClosing, dotHeader, edgeLine, NamespaceGroups, nodeLine, workloadLabel } from "./dotGraph";
import { csvRecord } from "./goText";
import { escapeControl } from "../text/escape";

export const listFormats = ["txt", "csv", "md", "dot"] as const;
export type ListFormat = (typeof listFormats)[number];

export interface ListOutputOptions {
    /** `-o/--output`. */
    readonly output?: ListFormat;
    /** `--l7`: the requests allowed at meshed destinations follow each connection, in brackets. */
    readonly l7?: boolean;
    /** `--exposure`: the exposure analysis of the same input and focus (exposure/exposure.ts). */
    readonly exposure?: readonly ExposedWorkload[];
}

/** One row of a table: a connection, or an exposure (a workload and what it is open to). */
interface Row {
    readonly src: string;
    readonly dst: string;
    readonly conn: string;
}

/** The list (after focusList) in the chosen format; dot, like netpol-analyzer's, has no final newline. */
export function formatList(list: FocusedList<Flow>, options: ListOutputOptions = {}): string {
    // With --focus-conn the list is of one connection, which the flows' grants do not describe.
    const connections = connectionRows(list, (options.l7 ?? false) && list.focusConnection === undefined);
    const exposure = options.exposure === undefined ? undefined : exposureRows(options.exposure, list);
    const focusText = list.focusConnection === undefined ? undefined : formatConnectionSet(list.focusConnection);
    switch (options.output ?? "txt") {
        case "csv": return csvList(connections, exposure, focusText);
        case "md": return mdList(connections, exposure, focusText);
        case "dot": return dotList(list, options.exposure);
        default: return txtList(list, options.l7 ?? false, exposure, focusText);
    }
}

/** A flow's connections as the list prints them: `TCP 9080`, with `l7` followed by the granted requests (`[GET /reviews/*]`). */
export function connectionsText(flow: Flow, l7: boolean): string {
    return `${formatConnectionSet(flow.allowed)}${l7 && flow.l7 !== undefined ? ` [${formatGrants(flow.l7, flow.allowed.ports("TCP"))}]` : ""}`;
}

function connectionRows(list: FocusedList<Flow>, l7: boolean): Row[] {
    // Escaped: no name may forge a line of the text formats (DOT quotes its own, with goQuote).
    return sortedByNames(list.connections).map((flow) => ({
        src: escapeControl(flow.src.name),
        dst: escapeControl(flow.dst.name),
        conn: connectionsText(flow, l7),
    }));
}

interface ExposureRows {
    /** Sorted by workload, then target. */
    readonly egress: Row[];
    /** `src` is the target, `dst` the workload; sorted by workload, then target. */
    readonly ingress: Row[];
    /** `W is not protected on Egress`, sorted. */
    readonly unprotected: string[];
    /** The longest exposed workload name, to which txt pads. */
    readonly width: number;
}

/**
 * The exposure rows: each exposed workload's entries, and its connections with External
 * ranges from the list (netpol-analyzer repeats them in the exposure section).
 */
function exposureRows(exposed: readonly ExposedWorkload[], list: FocusedList<Flow>): ExposureRows {
    const egress: Row[] = [];
    const ingress: Row[] = [];
    const unprotected: string[] = [];
    // Each workload's connections with External ranges, found in one pass over the list.
    const externalFlows = new Map<string, Flow[]>();
    for (const flow of list.connections) {
        const workload = flow.src.kind === "external" ? flow.dst.name : flow.dst.kind === "external" ? flow.src.name : undefined;
        if (workload !== undefined) {
            const flows = externalFlows.get(workload);
            if (flows) {
                flows.push(flow);
            } else {
                externalFlows.set(workload, [flow]);
            }
        }
    }
    for (const { workload, ingress: into, egress: out } of exposed) {
        const id = workloadId(workload);
        const name = escapeControl(id);
        for (const entry of shownEntries(out, list.focusConnection)) {
            egress.push({ src: name, dst: exposureTargetText(entry.target), conn: entry.connections.format() });
        }
        for (const entry of shownEntries(into, list.focusConnection)) {
            ingress.push({ src: exposureTargetText(entry.target), dst: name, conn: entry.connections.format() });
        }
        unprotected.push(...(into.protected ? [] : [`${name} is not protected on Ingress`]), ...(out.protected ? [] : [`${name} is not protected on Egress`]));
        for (const flow of externalFlows.get(id) ?? []) {
            if (flow.src.kind === "external") {
                ingress.push({ src: flow.src.name, dst: name, conn: formatConnectionSet(flow.allowed) });
            } else {
                egress.push({ src: name, dst: flow.dst.name, conn: formatConnectionSet(flow.allowed) });
            }
        }
    }
    return {
        egress: egress.sort((a, b) => compareNames(a.src, b.src) || compareNames(a.dst, b.dst)),
        ingress: ingress.sort((a, b) => compareNames(a.dst, b.dst) || compareNames(a.src, b.src)),
        unprotected: unprotected.sort(compareNames),
        width: exposed.reduce((widest, entry) => Math.max(widest, workloadId(entry.workload).length), 0),
    };
}

/**
 * A side's entries, or with `--focus-conn` those open on that connection: the whole cluster if
 * it is, else the selectors that are (what the whole cluster allows says it for them too).
 */
function shownEntries(side: SideExposure, focus: ConnectionSet | undefined): readonly ExposureEntry[] {
    if (focus === undefined || !side.protected) {
        return side.entries;
    }
    const wholeCluster = side.entries.find((entry) => entry.target.kind === "entire-cluster");
    if (wholeCluster?.connections.contains(focus)) {
        return [wholeCluster];
    }
    return side.entries.filter((entry) => entry.connections.contains(focus));
}

function txtList(list: FocusedList<Flow>, l7: boolean, exposure: ExposureRows | undefined, focusText: string | undefined): string {
    let text = focusText === undefined
        ? Array.from(flowLines(list.connections, { l7 })).join("")
        : `Permitted connections on ${focusText}:\n${sortedByNames(list.connections).map((flow) => `${escapeControl(flow.src.name)} => ${escapeControl(flow.dst.name)}\n`).join("")}`;
    if (exposure === undefined) {
        return text;
    }
    if (text !== "" && text !== "\n") {
        text += "\n";
    }
    return text + exposureTxt(exposure, focusText);
}

/** The txt exposure section of `exposed` (the workloads of `list`, as exposure/exposure.ts found them), from `Exposure Analysis Result:` on. */
export function exposureSection(exposed: readonly ExposedWorkload[], list: FocusedList<Flow>): string {
    return exposureTxt(exposureRows(exposed, list), undefined);
}

function exposureTxt(exposure: ExposureRows, focusText: string | undefined): string {
    const line = (workload: string, arrow: string, target: string, conn: string) => `${workload.padEnd(exposure.width)} \t${arrow} \t${target}${focusText === undefined ? ` : ${conn}` : ""}`;
    let text = `Exposure Analysis Result${focusText === undefined ? "" : ` On ${focusText}`}:\n`;
    text += section("Egress Exposure:\n", exposure.egress.map((row) => line(row.src, "=>", row.dst, row.conn)));
    text += section(`${exposure.egress.length > 0 ? "\n" : ""}Ingress Exposure:\n`, exposure.ingress.map((row) => line(row.dst, "<=", row.src, row.conn)));
    if (focusText === undefined) {
        text += section("\nWorkloads not protected by network policies:\n", exposure.unprotected);
    }
    return text;
}

/** A header and lines, each line ending in a newline; nothing when there are no lines. */
function section(header: string, lines: readonly string[]): string {
    return lines.length === 0 ? "" : `${header}${lines.join("\n")}\n`;
}

function csvList(connections: readonly Row[], exposure: ExposureRows | undefined, focusText: string | undefined): string {
    const record = (fields: string[], conn: string) => csvRecord(focusText === undefined ? [...fields, conn] : fields);
    let text = record(["src", "dst"], "conn") + connections.map((row) => record([row.src, row.dst], row.conn)).join("");
    if (exposure === undefined) {
        return text;
    }
    text += csvRecord([`Exposure Analysis Result${focusText === undefined ? "" : ` On ${focusText}`}:`, "", ""]);
    if (exposure.egress.length > 0) {
        text += csvRecord(["Egress Exposure:", "", ""]) + record(["src", "dst"], "conn") + exposure.egress.map((row) => record([row.src, row.dst], row.conn)).join("");
    }
    if (exposure.ingress.length > 0) {
        text += csvRecord(["Ingress Exposure:", "", ""]) + record(["dst", "src"], "conn") + exposure.ingress.map((row) => record([row.dst, row.src], row.conn)).join("");
    }
    return text;
}

function mdList(connections: readonly Row[], exposure: ExposureRows | undefined, focusText: string | undefined): string {
    const row = (fields: string[], conn: string) => `| ${(focusText === undefined ? [...fields, conn] : fields).join(" | ")} |`;
    const header = (first: string, second: string) => `${row([first, second], "conn")}\n${focusText === undefined ? "|-----|-----|------|" : "|-----|-----|"}`;
    const lines = [header("src", "dst"), ...connections.map((connection) => row([connection.src, connection.dst], connection.conn))];
    if (exposure === undefined) {
        return `${lines.join("\n")}\n`;
    }
    // As netpol-analyzer joins its sections: each ends in a newline, and a newline separates them.
    return [
        ...lines,
        `## Exposure Analysis Result${focusText === undefined ? "" : ` On ${focusText}`}:`,
        section(`### Egress Exposure:\n${header("src", "dst")}\n`, exposure.egress.map((entry) => row([entry.src, entry.dst], entry.conn))),
        section(`### Ingress Exposure:\n${header("dst", "src")}\n`, exposure.ingress.map((entry) => row([entry.dst, entry.src], entry.conn))),
    ].join("\n");
}

const externalColor = "red2";
const workloadColor = "blue";
const representativeColor = "red2";
const entireCluster = "entire-cluster";

/**
 * netpol-analyzer's graph: workloads in one subgraph per namespace (every workload the focus
 * keeps, connected or not), External ranges beside them, `gold2` connection edges; with
 * exposure, dashed edges to `entire-cluster` and to the selectors' pods, the latter in red
 * subgraphs of their own (also when they name a namespace of the input, as netpol-analyzer draws them).
 */
function dotList(list: FocusedList<Flow>, exposed: readonly ExposedWorkload[] | undefined): string {
    const namespaces = new NamespaceGroups();
    const representativeNamespaces = new NamespaceGroups();
    const externals: string[] = [];
    const edges: string[] = [];
    const visited = new Set<string>();
    const visit = (endpoint: Endpoint) => {
        if (visited.has(endpoint.name)) {
            return;
        }
        visited.add(endpoint.name);
        if (endpoint.kind === "external") {
            externals.push(nodeLine(endpoint.name, endpoint.name, externalColor));
        } else {
            namespaces.add(`${endpoint.workload.namespace}[namespace]`, nodeLine(endpoint.name, workloadLabel(endpoint.workload), workloadColor));
        }
    };
    for (const flow of list.connections) {
        edges.push(edgeLine(flow.src.name, flow.dst.name, formatConnectionSet(flow.allowed), "gold2", "darkgreen"));
        visit(flow.src);
        visit(flow.dst);
    }
    for (const workload of list.workloads) {
        visit({ kind: "workload", name: workloadId(workload), workload });
    }
    const representatives = new Set<string>();
    for (const { workload, ingress, egress } of exposed ?? []) {
        const name = workloadId(workload);
        visit({ kind: "workload", name, workload });
        for (const [direction, side] of [["ingress", ingress], ["egress", egress]] as const) {
            for (const { target, connections } of shownEntries(side, list.focusConnection)) {
                // With --focus-conn, an open side is drawn with that connection only.
                const label = list.focusConnection === undefined || !side.protected ? connections.format() : formatConnectionSet(list.focusConnection);
                let node = entireCluster;
                if (target.kind === "selector") {
                    node = `${target.pods}_in_${target.namespace}`;
                    if (!representatives.has(node)) {
                        representativeNamespaces.add(`${target.namespace}[namespace]`, nodeLine(node, target.pods, representativeColor));
                    }
                }
                representatives.add(node);
                edges.push(direction === "ingress"
                    ? edgeLine(node, name, label, "darkorange2", "darkgreen", "1", " style=dashed")
                    : edgeLine(name, node, label, "darkorange4", "darkgreen", "0.5", " style=dashed"));
            }
        }
    }
    if (representatives.has(entireCluster)) {
        externals.push(nodeLine(entireCluster, entireCluster, representativeColor, " shape=diamond"));
    }
    return [
        dotHeader,
        ...namespaces.lines("black"),
        ...representativeNamespaces.lines(representativeColor),
        ...externals.sort(compareNames),
        ...edges.sort(compareNames),
        dotClosing,
    ].join("\n");
}
