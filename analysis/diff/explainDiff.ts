/**
 * `diff --explain`: for each changed, added and removed pair, the rules that decided it on each
 * side, as `reach --explain` writes a pair (explanation/explainList.ts): netpol-analyzer's
 * explain block on Kubernetes NetworkPolicy input, one line per enforcement point with Calico,
 * ClusterNetworkPolicy or Istio. An External range of the diff (cut at both sides' boundaries,
 * connectivityDiff.ts) is explained by the range of each side that holds it.
 */
import { explainChosenPairs } from "../explanation/explainList";
import { KubeObject } from "../manifests";
import { escapeControl } from "../text/escape";
import { Flow } from "../reach";
import { ConnectivityDiff, PairDiff } from "./connectivityDiff";

/** One side's input and its reachability (the flows the diff compared). */
export interface ExplainedSide {
    readonly objects: readonly KubeObject[];
    readonly flows: readonly Flow[];
}

/** A pair's explanation on each side: `Connections between S => D:` and what decided it. */
export interface PairDiffExplanation {
    readonly before: string;
    readonly after: string;
}

/** The explanation of every changed, added and removed pair of `diff`. */
export function explainDiff(diff: ConnectivityDiff, before: ExplainedSide, after: ExplainedSide): Map<PairDiff, PairDiffExplanation> {
    const pairs = [...diff.changed, ...diff.added, ...diff.removed];
    const explain = (side: ExplainedSide, onlyOtherSide: PairDiff["type"]) => explainChosenPairs(side.objects, side.flows, pairs)
        .map((text, index) => text ?? unexplained(pairs[index], onlyOtherSide));
    const was = explain(before, "added");
    const now = explain(after, "removed");
    return new Map(pairs.map((pair, index) => [pair, { before: was[index], after: now[index] }]));
}

/**
 * What a side says of a pair it does not explain: a workload that exists only on the other side
 * (a pair `added` is new to the after side, `removed` lost from it), or a pair no enforcement
 * point of that side decides (External ranges that side's input does not list).
 */
function unexplained(pair: PairDiff, onlyOtherSide: PairDiff["type"]): string {
    const absent = pair.type === onlyOtherSide ? [...(pair.srcNewOrLost ? [pair.src.name] : []), ...(pair.dstNewOrLost ? [pair.dst.name] : [])] : [];
    const reason = absent.length > 0 ? `${absent.join(" and ")} ${absent.length > 1 ? "do" : "does"} not exist on this side` : "no policy of this side decides the pair";
    return `Connections between ${escapeControl(pair.src.name)} => ${escapeControl(pair.dst.name)}:\n\nNo Connections: ${escapeControl(reason)}\n\n`;
}
