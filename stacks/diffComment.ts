/**
 * The connectivity diff of a stack between two revisions as a pull-request comment in
 * GitHub-flavoured Markdown: a heading, one line of counts, and a table of the pairs whose
 * allowed traffic differs (the columns of `ztmesh diff -o md`), or one sentence when nothing
 * changed.
 *
 * Why not `ztmesh diff -o md` as it is: that output is netpol-analyzer's, byte for byte, and its
 * cells are raw text. On GitHub a cell such as `TCP 9080 [GET /details/*; GET /reviews/*]` would
 * lose its stars to emphasis and a `|` in a path would split the cell; here every cell is escaped.
 */
import { ConnectivityDiff, isEmptyDiff } from "../analysis/diff/connectivityDiff";
import { diffToJson, JsonPairDiff } from "../analysis/diff/format";
import { escapeControl } from "../analysis/text/escape";

/** What the comment calls the stack and the two sides. */
export interface CommentLabels {
    readonly stack: string;
    /** The base revision as the user named it, with its commit: `origin/main (1a2b3c4)`. */
    readonly base: string;
    /** The changed side: `working tree`. */
    readonly head: string;
}

/** The sentence of a diff without a change. */
export const noChange = "No change in who can reach whom.";

/**
 * CommonMark's backslash escapes for the characters that start inline markup or split a GFM
 * table cell; text from outside (workload names, paths, ref names) is shown as it is written.
 */
export function escapeMarkdown(text: string): string {
    return escapeControl(text).replace(/[\\`*_[\]<>|~&!#]/g, (character) => `\\${character}`);
}

function plural(count: number, one: string, many = `${one}s`): string {
    return `${count} ${count === 1 ? one : many}`;
}

/** `workload W added`, `workload W1 and W2 removed`, or empty, as netpol-analyzer's workloads-diff-info. */
function workloadsInfo(pair: JsonPairDiff): string {
    const marked = pair.newWorkloads ?? pair.lostWorkloads ?? [];
    return marked.length === 0 ? "" : `workload ${marked.join(" and ")} ${pair.type}`;
}

/**
 * The comment; ends with a newline. `leftOut`: what a render left out (charts it could not
 * fetch), said under the table, as those objects are in neither side.
 */
export function diffComment(diff: ConnectivityDiff, labels: CommentLabels, leftOut: readonly string[] = []): string {
    const heading = `### Connectivity of stack ${escapeMarkdown(labels.stack)}: ${escapeMarkdown(labels.base)} → ${escapeMarkdown(labels.head)}`;
    const notes = leftOut.map((line) => `\nNote: ${escapeMarkdown(line)}\n`).join("");
    if (isEmptyDiff(diff)) {
        return `${heading}\n\n${noChange}\n${notes}`;
    }
    const counts = [
        plural(diff.added.length, "connection added", "connections added"),
        plural(diff.removed.length, "connection removed", "connections removed"),
        plural(diff.changed.length, "connection changed", "connections changed"),
    ].join(", ");
    const summary = `${counts} (layers 3/4 and 7: a change in the HTTP requests a flow allows is a change).`;
    const cells = (values: readonly string[]) => `| ${values.join(" | ")} |`;
    const rows = diffToJson(diff).diff.map((pair) => cells([pair.type, pair.src, pair.dst, pair.before, pair.after, workloadsInfo(pair)].map(escapeMarkdown)));
    return [
        heading,
        "",
        summary,
        "",
        cells(["diff-type", "source", "destination", escapeMarkdown(labels.base), escapeMarkdown(labels.head), "workloads-diff-info"]),
        cells(Array(6).fill("---")),
        ...rows,
    ].join("\n") + `\n${notes}`;
}
