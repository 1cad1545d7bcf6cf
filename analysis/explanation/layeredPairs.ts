/**
 * Why each pair of peers may or may not connect when Calico, ClusterNetworkPolicy or Istio
 * objects take part: for every ordered pair of workloads, and of a workload and each External
 * range the analysis lists, what the pair is allowed (reach.ts, all layers) and the sentence of
 * each enforcement point (../explain.ts): the rule, tier end, pass or profile that decided the
 * source's egress and the destination's ingress at layer 3/4, and at layer 7 the
 * AuthorizationPolicies that admitted or refused the caller at the destination's sidecar, or
 * the ztunnel and waypoint of an ambient destination. Denied pairs are explained too.
 */
import { flowPartsExplainer } from "../explain";
import { KubeObject } from "../manifests";
import { clusterModel } from "../model/cluster";
import { Endpoint } from "../netpol/connection";
import { compareNames } from "../netpol/format";
import { ConnectionSet } from "../netpol/ports";
import { workloadId } from "../netpol/workloads";
import { Flow } from "../reach";

/** A pair with its sentences; shaped as a Connection, so the focus filters apply. */
export interface LayeredPairExplanation {
    readonly src: Endpoint;
    readonly dst: Endpoint;
    /** What every layer together allows (possibly nothing). */
    readonly allowed: ConnectionSet;
    /** The source's egress, then the destination's ingress; absent where a side is External. */
    readonly layer4: readonly string[];
    readonly layer7?: string;
}

/**
 * Every pair that `keeps` accepts and some layer explains, by source name then destination name,
 * one at a time; `flows` is reachability(objects).
 */
export function* explainLayers(objects: readonly KubeObject[], flows: readonly Flow[], keeps: (pair: Pick<LayeredPairExplanation, "src" | "dst">) => boolean = () => true): Generator<LayeredPairExplanation> {
    const allowed = new Map(flows.map((flow) => [pairKey(flow.src.name, flow.dst.name), flow.allowed]));
    const workloads: Endpoint[] = clusterModel(objects).workloads.map((workload) => ({ kind: "workload", name: workloadId(workload), workload }));
    const externalNamed = new Map<string, Endpoint>();
    for (const flow of flows) {
        for (const endpoint of [flow.src, flow.dst]) {
            if (endpoint.kind === "external") {
                externalNamed.set(endpoint.name, endpoint);
            }
        }
    }
    const peers = [...workloads, ...externalNamed.values()].sort((a, b) => compareNames(a.name, b.name));
    const explain = flowPartsExplainer(objects, { tierPolicies: true });
    for (const src of peers) {
        for (const dst of peers) {
            if (src === dst || (src.kind === "external" && dst.kind === "external") || !keeps({ src, dst })) {
                continue;
            }
            const { layer4, layer7 } = explain(src.name, dst.name);
            if (layer4.length > 0 || layer7 !== undefined) {
                yield { src, dst, allowed: allowed.get(pairKey(src.name, dst.name)) ?? ConnectionSet.none, layer4, ...(layer7 !== undefined ? { layer7 } : {}) };
            }
        }
    }
}

function pairKey(src: string, dst: string): string {
    return `${src}\u0000${dst}`;
}
