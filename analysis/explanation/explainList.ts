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
import { clusterModel } from "../model/cluster";
import { Flow } from "../reach";
import { explainLayers } from "./layeredPairs";
import { formatLayeredExplanations } from "./layeredText";
import { explainNetworkPolicies, PairExplanation } from "./netpolPairs";
import { formatExplanations } from "./netpolText";

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
    if (model.hasCalicoObjects || model.ofKind("ClusterNetworkPolicy").length > 0 || hasIstioPolicy(objects)) {
        const only = options.only;
        return formatLayeredExplanations(filtered(explainLayers(objects, flows, focus.keeps), (pair) => only === undefined || (only === "allow" ? !pair.allowed.isEmpty() : !pair.allowed.isAll())), exposed);
    }
    const pairs = explainNetworkPolicies(model, focus.keeps);
    return formatExplanations(options.only === undefined ? pairs : onlyParts(pairs, options.only), exposed);
}

function* filtered<T>(items: Iterable<T>, keeps: (item: T) => boolean): Generator<T> {
    for (const item of items) {
        if (keeps(item)) {
            yield item;
        }
    }
}

/** The pairs with only their allowed or denied parts; those with none left are left out. */
function* onlyParts(pairs: Iterable<PairExplanation>, only: ExplainOnly): Generator<PairExplanation> {
    for (const pair of pairs) {
        const parts = pair.parts.filter((part) => part.allowed === (only === "allow"));
        // A pair left to the system default is allowed everything.
        if (pair.policed ? parts.length > 0 : only === "allow") {
            yield { ...pair, parts };
        }
    }
}
