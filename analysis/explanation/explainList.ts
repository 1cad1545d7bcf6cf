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
import { focusList, FocusOptions } from "../formats/focus";
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
 * The explain text of `objects`; `flows` is their reachability (reach.ts), from which the exposure
 * section takes the connections with External. Focus warnings go to `warn`.
 */
export function explainText(objects: readonly KubeObject[], flows: readonly Flow[], options: ExplainOptions, warn: (message: string) => void): string {
    const model = clusterModel(objects);
    if (options.focus?.focusConn !== undefined) {
        throw new ExplainError("--focus-conn lists pairs on one connection, which --explain does not split; leave one of them out");
    }
    if (model.hasCalicoObjects || model.ofKind("ClusterNetworkPolicy").length > 0 || hasIstioPolicy(objects)) {
        if (options.exposure === true) {
            throw new ExplainError("--exposure reads Kubernetes NetworkPolicies only, and the input holds Calico, ClusterNetworkPolicy or Istio policy objects; leave --exposure out to explain every layer");
        }
        const layered = explainLayers(objects, flows).filter((pair) => options.only === undefined || (options.only === "allow" ? !pair.allowed.isEmpty() : !pair.allowed.isAll()));
        const list = focusList(layered, model.workloads, options.focus);
        list.warnings.forEach(warn);
        return formatLayeredExplanations(list.connections);
    }
    const pairs = explainNetworkPolicies(model).flatMap((pair) => onlyParts(pair, options.only));
    const list = focusList(pairs, model.workloads, options.focus);
    list.warnings.forEach(warn);
    const exposed = options.exposure === true ? exposureSection(exposure(objects, options.focus), focusList(flows, model.workloads, options.focus)) : undefined;
    return formatExplanations(list.connections, exposed);
}

/** The pair with only its allowed or denied parts; nothing when none is left. */
function onlyParts(pair: PairExplanation, only: ExplainOnly | undefined): PairExplanation[] {
    if (only === undefined) {
        return [pair];
    }
    const parts = pair.parts.filter((part) => part.allowed === (only === "allow"));
    // A pair left to the system default is allowed everything.
    const kept = pair.policed ? parts.length > 0 : only === "allow";
    return kept ? [{ ...pair, parts }] : [];
}
