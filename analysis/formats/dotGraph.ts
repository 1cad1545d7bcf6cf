/**
 * The pieces of netpol-analyzer's Graphviz output that its connectivity list, exposure and diff
 * graphs share: node and edge lines, and one `cluster_<namespace>` subgraph per namespace.
 * Lines are sorted as strings (code-unit order, Go's sort.Strings), which is what makes the
 * graph text the same on every run.
 */
import { compareNames } from "../netpol/format";
import { goQuote } from "./goText";

export const dotHeader = "digraph {";
export const dotClosing = "}";

/** A node: `"id" [label="..." color="..." fontcolor="..."<extra>]`, tab-indented. */
export function nodeLine(id: string, label: string, color: string, extra = ""): string {
    return `\t${goQuote(id)} [label=${goQuote(label)} color=${goQuote(color)} fontcolor=${goQuote(color)}${extra}]`;
}

/**
 * An edge. `weight`: by default 0.5 when the source's name sorts before (or as) the destination's,
 * else 1, as netpol-analyzer draws connection edges; exposure edges pass theirs.
 */
export function edgeLine(src: string, dst: string, label: string, color: string, fontColor: string, weight?: string, style = ""): string {
    const edgeWeight = weight ?? (src <= dst ? "0.5" : "1");
    return `\t${goQuote(src)} -> ${goQuote(dst)} [label=${goQuote(label)} color=${goQuote(color)} fontcolor=${goQuote(fontColor)} weight=${edgeWeight}${style}]`;
}

/** Node lines grouped by namespace (the key is what the subgraph's label shows, e.g. `default[namespace]`). */
export class NamespaceGroups {
    private readonly groups = new Map<string, string[]>();

    add(group: string, line: string): void {
        const lines = this.groups.get(group);
        if (lines) {
            lines.push(`\t${line}`);
        } else {
            this.groups.set(group, [`\t${line}`]);
        }
    }

    /** One subgraph per group, by group name, its nodes sorted; `-` becomes `_` in the subgraph's name, which DOT needs. */
    lines(color: string): string[] {
        return [...this.groups.keys()].sort(compareNames).flatMap((group) => [
            `\tsubgraph ${goQuote(`cluster_${group.replace(/-/g, "_")}`)} {`,
            `\t\tcolor=${goQuote(color)}`,
            `\t\tfontcolor=${goQuote(color)}`,
            ...[...(this.groups.get(group) ?? [])].sort(compareNames),
            `\t\tlabel=${goQuote(group)}`,
            "\t}",
        ]);
    }
}

/** The label a workload's node shows: its name and kind, as its namespace's subgraph already says where it is. */
export function workloadLabel(workload: { readonly name: string; readonly kind: string }): string {
    return `${workload.name}[${workload.kind}]`;
}
