/**
 * `--explain`: why every pair (allowed and denied) may or may not connect, after the same focus
 * filters as the list, optionally only the allowed or only the denied connections
 * (`--explain-only`). On Kubernetes NetworkPolicy input, netpol-analyzer's explanation
 * (netpolPairs.ts, netpolText.ts), with the exposure section after it on request; when Calico,
 * ClusterNetworkPolicy or Istio objects take part, the explanation of every layer
 * (layeredPairs.ts, layeredText.ts).
 */
import { exposure } from "../exposure/exposure";
import { exposureSection } from "../formats/connlist";
import { focusList, FocusOptions, focusPredicate } from "../formats/focus";
import { hasIstioPolicy } from "../istio/evaluate";
import { KubeObject } from "../manifests";
import { ClusterModel, clusterModel } from "../model/cluster";
import { Flow } from "../reach";
import { Endpoint } from "../netpol/connection";
import { explainLayers } from "./layeredPairs";
import { formatLayeredExplanations, layeredPairText } from "./layeredText";
import { explainNetworkPolicies, PairExplanation } from "./netpolPairs";
import { formatExplanations, pairText } from "./netpolText";

export const explainOnlyValues = ["allow", "deny"] as const;
export type ExplainOnly = (typeof explainOnlyValues)[number];

/** Input the explanation does not cover; the message says what to do. */
export class ExplainError extends Error {}

export interface ExplainOptions {
    readonly focus?: FocusOptions;
    /** Append the exposure analysis (exposure/exposure.ts) of the same focus. */
    readonly exposure?: boolean;
    readonly only?: ExplainOnly;
}

/**
 * The explain text of `objects` in parts, a pair at a time; `flows` is their reachability
 * (reach.ts). Focus warnings go to `warn`. Throws an ExplainError on flags it cannot honour.
 */
export function explainText(objects: readonly KubeObject[], flows: readonly Flow[], options: ExplainOptions, warn: (message: string) => void): Iterable<string> {
    const model = clusterModel(objects);
    if (options.focus?.focusConn !== undefined) {
        throw new ExplainError("--focus-conn lists pairs on one connection, which --explain does not split; leave one of them out");
    }
    const focus = focusPredicate(model.workloads, options.focus);
    focus.warnings.forEach(warn);
    const exposed = options.exposure === true ? () => exposureSection(exposure(objects, options.focus), focusList(flows, model.workloads, options.focus)) : undefined;
    if (isLayered(model)) {
        const only = options.only;
        return formatLayeredExplanations(filtered(explainLayers(objects, flows, focus.keeps), (pair) => only === undefined || (only === "allow" ? !pair.allowed.isEmpty() : !pair.allowed.isAll())), exposed);
    }
    const policed = explainNetworkPolicies(model, focus.keeps, "policed");
    // A pair left to the system default is allowed everything: listed unless only the denied connections are asked for.
    const systemDefault = options.only === "deny" ? [] : explainNetworkPolicies(model, focus.keeps, "unpoliced");
    return formatExplanations(options.only === undefined ? policed : onlyParts(policed, options.only), systemDefault, exposed);
}

/** A pair to explain: workloads by name; an External range stands for the range of the input holding its first address. */
export interface WantedPair {
    readonly src: Endpoint;
    readonly dst: Endpoint;
}

/**
 * The explanation of each of `wanted` (same order) as `--explain` writes its block, without the
 * rule above it; undefined where the input explains no such pair (a workload it does not hold).
 * `flows` is reachability(objects). For `diff --explain`, which explains the pairs that changed.
 */
export function explainChosenPairs(objects: readonly KubeObject[], flows: readonly Flow[], wanted: readonly WantedPair[]): (string | undefined)[] {
    // Wanted pairs by their workload names (External as "*"): a candidate pair is looked up, not compared with every wanted one.
    const key = (src: Endpoint, dst: Endpoint) => `${src.kind === "workload" ? src.name : "*"}\u0000${dst.kind === "workload" ? dst.name : "*"}`;
    const byKey = new Map<string, number[]>();
    wanted.forEach((pair, index) => byKey.set(key(pair.src, pair.dst), [...(byKey.get(key(pair.src, pair.dst)) ?? []), index]));
    const matching = (pair: WantedPair) => (byKey.get(key(pair.src, pair.dst)) ?? []).filter((index) => covers(pair.src, wanted[index].src) && covers(pair.dst, wanted[index].dst));
    const keeps = (pair: WantedPair) => matching(pair).length > 0;
    const texts: (string | undefined)[] = wanted.map(() => undefined);
    const record = (pair: WantedPair, text: string) => matching(pair).forEach((index) => { texts[index] = text; });
    const model = clusterModel(objects);
    if (isLayered(model)) {
        for (const pair of explainLayers(objects, flows, keeps)) record(pair, layeredPairText(pair));
    } else {
        for (const pair of explainNetworkPolicies(model, keeps)) record(pair, pairText(pair));
    }
    return texts;
}

/** Whether `candidate` (a peer of the input) is `wanted`: the same workload, or the External range holding the wanted range's first address. */
function covers(candidate: Endpoint, wanted: Endpoint): boolean {
    if (candidate.kind === "workload" || wanted.kind === "workload") {
        return candidate.kind === wanted.kind && candidate.name === wanted.name;
    }
    const start = wanted.range.start;
    return typeof candidate.range.start === typeof start && candidate.range.start <= start && start <= candidate.range.end;
}

/** Whether Calico, ClusterNetworkPolicy or Istio objects take part: then every layer is explained. */
function isLayered(model: ClusterModel): boolean {
    return model.hasCalicoObjects || model.ofKind("ClusterNetworkPolicy").length > 0 || hasIstioPolicy(model.objects);
}

function* filtered<T>(items: Iterable<T>, keeps: (item: T) => boolean): Generator<T> {
    for (const item of items) {
        if (keeps(item)) {
            yield item;
        }
    }
}

/** The policed pairs with only their allowed or denied parts; those with none left are left out. */
function* onlyParts(pairs: Iterable<PairExplanation>, only: ExplainOnly): Generator<PairExplanation> {
    for (const pair of pairs) {
        const parts = pair.parts.filter((part) => part.allowed === (only === "allow"));
        if (parts.length > 0) {
            yield { ...pair, parts };
        }
    }
}
