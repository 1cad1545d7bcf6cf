/**
 * The connectivity diff in netpol-analyzer's `diff` formats (txt, csv, md, dot) and as JSON.
 * Lines come changed, then added, then removed, each group sorted as netpol-analyzer sorts it
 * (by the whole printed line); a diff without a change prints nothing at all, in every format.
 * The two sides are named as netpol-analyzer's CLI names them (`dir1`, `dir2`) unless told.
 */
import { compareNames } from "../netpol/format";
import { csvRecord } from "../formats/goText";
import { escapeControl } from "../text/escape";
import { dotClosing, dotHeader, edgeLine, NamespaceGroups, nodeLine, workloadLabel } from "../formats/dotGraph";
import { ConnectivityDiff, isEmptyDiff, PairDiff } from "./connectivityDiff";
import { PairDiffExplanation } from "./explainDiff";

export const diffFormats = ["txt", "csv", "md", "dot", "json"] as const;
export type DiffFormat = (typeof diffFormats)[number];

export interface DiffOutputOptions {
    /** `-o/--output` (`--json` is `json`). */
    readonly output?: DiffFormat;
    /** What the two sides are called in the output (netpol-analyzer's CLI: `dir1`, `dir2`). */
    readonly names?: { readonly before: string; readonly after: string };
    /** `--explain` (txt and json): each changed, added and removed pair's explanation on both sides (explainDiff.ts). */
    readonly explanations?: ReadonlyMap<PairDiff, PairDiffExplanation>;
}

const noConnections = "No Connections";

/** The printed fields of a changed, added or removed pair. */
interface DiffFields {
    readonly type: string;
    readonly src: string;
    readonly dst: string;
    readonly before: string;
    readonly after: string;
    /** `workload W added`, `workload W1 and W2 removed`, or empty. */
    readonly info: string;
}

function fields(pair: PairDiff): DiffFields {
    const newOrLost = [...(pair.srcNewOrLost ? [pair.src.name] : []), ...(pair.dstNewOrLost ? [pair.dst.name] : [])];
    // Escaped: no name may forge a line of the text formats (DOT quotes its own, with goQuote).
    return {
        type: pair.type,
        src: escapeControl(pair.src.name),
        dst: escapeControl(pair.dst.name),
        before: pair.before?.text ?? noConnections,
        after: pair.after?.text ?? noConnections,
        info: newOrLost.length === 0 ? "" : escapeControl(`workload ${newOrLost.join(" and ")} ${pair.type}`),
    };
}

/** The diff in the chosen format; md and dot, like netpol-analyzer's, have no final newline. */
export function formatDiff(diff: ConnectivityDiff, options: DiffOutputOptions = {}): string {
    const names = options.names ?? { before: "dir1", after: "dir2" };
    const output = options.output ?? "txt";
    if (output === "json") {
        return `${JSON.stringify(diffToJson(diff, options.explanations), null, 2)}\n`;
    }
    if (isEmptyDiff(diff)) {
        return "";
    }
    /** Each group's lines sorted as strings, groups in netpol-analyzer's order. */
    const lines = (line: (pair: DiffFields) => string) => sortedLines(diff, (pair) => line(fields(pair))).map(({ text }) => text);
    const txtLine = (pair: DiffFields) => `diff-type: ${pair.type}, source: ${pair.src}, destination: ${pair.dst}, ${names.before}: ${pair.before}, ${names.after}: ${pair.after}${pair.info ? `, workloads-diff-info: ${pair.info}` : ""}`;
    switch (output) {
        case "csv":
            // Sorted by the fields joined with ';', as netpol-analyzer sorts its rows before splitting them into fields.
            return csvRecord(["diff-type", "source", "destination", names.before, names.after, "workloads-diff-info"])
                + lines((pair) => [pair.type, pair.src, pair.dst, pair.before, pair.after, pair.info].join(";")).map((row) => csvRecord(row.split(";"))).join("");
        case "md":
            return [
                `| diff-type | source | destination | ${names.before} | ${names.after} | workloads-diff-info |`,
                "|-----------|--------|-------------|------|------|---------------------|",
                ...lines((pair) => `| ${pair.type} | ${pair.src} | ${pair.dst} | ${pair.before} | ${pair.after} | ${pair.info} |`),
            ].join("\n");
        case "dot":
            return dotDiff(diff, names.before);
        default: {
            const listing = `${["Connectivity diff:", ...lines(txtLine)].join("\n")}\n`;
            return options.explanations === undefined ? listing : listing + explainedTxt(diff, options.explanations, names, (pair) => txtLine(fields(pair)));
        }
    }
}

/** The changed, then added, then removed pairs, each group sorted by its printed line. */
function sortedLines(diff: ConnectivityDiff, line: (pair: PairDiff) => string): { pair: PairDiff; text: string }[] {
    return [diff.changed, diff.added, diff.removed].flatMap((group) => group.map((pair) => ({ pair, text: line(pair) })).sort((a, b) => compareNames(a.text, b.text)));
}

const pairRule = "-".repeat(160);

/**
 * The `--explain` section after the txt listing, in the block structure of `reach --explain`:
 * a banner, then for each pair in the listing's order its diff line and what decided it on
 * each side, the side's name before its block.
 */
function explainedTxt(diff: ConnectivityDiff, explanations: ReadonlyMap<PairDiff, PairDiffExplanation>, names: { readonly before: string; readonly after: string }, line: (pair: PairDiff) => string): string {
    const title = `# Changed connections and their reasons in ${names.before} and ${names.after} #`;
    const banner = "#".repeat(title.length);
    const blocks = sortedLines(diff, line).map(({ pair, text }) => {
        const explanation = explanations.get(pair);
        return `${pairRule}\n${text}\n\n${names.before}: ${explanation?.before ?? "\n"}${names.after}: ${explanation?.after ?? "\n"}`;
    });
    return `\n${banner}\n${title}\n${banner}\n${blocks.join("")}`;
}

export interface JsonPairDiff {
    type: "changed" | "added" | "removed";
    src: string;
    dst: string;
    /** What was allowed before (`No Connections` when nothing). */
    before: string;
    after: string;
    /** Workloads that exist on one side only. */
    newWorkloads?: string[];
    lostWorkloads?: string[];
    /** `--explain`: the lines of each side's explanation (`Connections between S => D:`, then what decided it). */
    explanation?: { before: string[]; after: string[] };
}

/** The changed, added and removed pairs, in that order, each group by source and destination. */
export function diffToJson(diff: ConnectivityDiff, explanations?: ReadonlyMap<PairDiff, PairDiffExplanation>): { diff: JsonPairDiff[] } {
    const lines = (text: string) => text.replace(/\n+$/, "").split("\n");
    return {
        diff: [...diff.changed, ...diff.added, ...diff.removed].map((pair) => {
            const marked = [...(pair.srcNewOrLost ? [pair.src.name] : []), ...(pair.dstNewOrLost ? [pair.dst.name] : [])];
            return {
                type: pair.type as JsonPairDiff["type"],
                src: pair.src.name,
                dst: pair.dst.name,
                before: pair.before?.text ?? noConnections,
                after: pair.after?.text ?? noConnections,
                ...(marked.length > 0 ? { [pair.type === "added" ? "newWorkloads" : "lostWorkloads"]: marked } : {}),
                ...(explanations?.has(pair) ? { explanation: { before: lines(explanations.get(pair)?.before ?? ""), after: lines(explanations.get(pair)?.after ?? "") } } : {}),
            };
        }),
    };
}

const colors = { added: "#008000", removed: "red2", changed: "magenta", unchanged: "grey" } as const;
const peerColors = { new: "#008000", lost: "red", persistent: "blue" } as const;

/** netpol-analyzer's fixed legend of the diff graph. */
const legend = [
    "\tnodesep=0.5",
    "\tsubgraph cluster_legend {",
    '\t\tlabel="Legend"',
    "\t\tfontsize = 10",
    "\t\tmargin=0",
    ..."abcdefgh".split("").map((node) => `\t\t${node} [style=invis height=0 width=0]`),
    "\t\t{rank=source a b c d}",
    "\t\t{rank=same e f g h}",
    ...([["a", "b", "added connection", colors.added], ["c", "d", "removed connection", colors.removed], ["e", "f", "changed connection", colors.changed], ["g", "h", "unchanged connection", colors.unchanged]] as const)
        .map(([from, to, label, color]) => `\t\t${from} -> ${to} [label="${label}", color="${color}" fontcolor="${color}" fontsize = 10 arrowsize=0.2]`),
    ...([["np", "new peer", peerColors.new], ["lp", "lost peer", peerColors.lost], ["pp", "persistent peer", peerColors.persistent]] as const)
        .map(([node, label, color]) => `\t\t${node} [label="${label}" color="${color}" fontcolor="${color}" fontsize = 10]`),
    "\t\t{rank=sink np lp pp}",
    "\t\tnp->lp [style=invis]",
    "\t\tlp->pp [style=invis]",
    "\t}",
];

/**
 * The diff graph: every pair of both sides (unchanged ones grey), peers in namespace subgraphs
 * coloured by the first group that shows them (unchanged, changed, added, removed): new or lost
 * when that pair marks them so, else persistent.
 */
function dotDiff(diff: ConnectivityDiff, beforeName: string): string {
    const namespaces = new NamespaceGroups();
    const externals: string[] = [];
    const edges: string[] = [];
    const visited = new Set<string>();
    for (const pair of [...diff.unchanged, ...diff.changed, ...diff.added, ...diff.removed]) {
        for (const [endpoint, newOrLost] of [[pair.src, pair.srcNewOrLost], [pair.dst, pair.dstNewOrLost]] as const) {
            if (visited.has(endpoint.name)) {
                continue;
            }
            visited.add(endpoint.name);
            const color = !newOrLost ? peerColors.persistent : pair.type === "added" ? peerColors.new : peerColors.lost;
            if (endpoint.kind === "external") {
                externals.push(nodeLine(endpoint.name, endpoint.name, color));
            } else {
                namespaces.add(`${endpoint.workload.namespace}[namespace]`, nodeLine(endpoint.name, workloadLabel(endpoint.workload), color));
            }
        }
        const { before, after } = fields(pair);
        const label = pair.type === "changed" ? `${after} (${beforeName}: ${before})` : pair.type === "added" ? after : before;
        edges.push(edgeLine(pair.src.name, pair.dst.name, label, colors[pair.type], colors[pair.type]));
    }
    return [dotHeader, ...namespaces.lines("black"), ...externals.sort(compareNames), ...edges.sort(compareNames), ...legend, dotClosing].join("\n");
}
