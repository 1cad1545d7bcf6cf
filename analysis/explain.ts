/**
 * Why a pair's traffic is what it is, in words, at both layers: at L3/4 the policy objects
 * whose rules allowed or denied the source's egress and the destination's ingress (or that no
 * rule matched before the end of the tier), at L7 the AuthorizationPolicies that admitted or
 * denied the caller at the destination's sidecar. The listing of flows does not track this;
 * messages about a few flows ask for it here.
 */
import { calicoExplainer } from "./calico";
import type { DirectionExplanation, PairExplanation } from "./calico/evaluate";
import { AmbientLayer, hasAmbientWorkloads, withWaypointWorkloads } from "./istio/ambient";
import { AuthorizationExplanation, IstioLayer } from "./istio/evaluate";
import { KubeObject } from "./manifests";
import { clusterFromObjects } from "./netpol/workloads";
import { podDetailsByWorkload } from "./podDetails";
import { reachability } from "./reach";

export interface FlowExplanation {
    readonly layer4?: string;
    /** Absent when the destination has no sidecar and is not in the ambient mesh. */
    readonly layer7?: string;
}

/**
 * Explains pairs of endpoints, by name, under the policies in `objects`. The evaluators are
 * built on the first question, so asking none (a stack without differences) costs nothing.
 */
export function flowExplainer(objects: readonly KubeObject[]): (src: string, dst: string) => FlowExplanation {
    let explainers: { layer4: ReturnType<typeof calicoExplainer>; istio?: IstioLayer; ambient?: (src: string, dst: string) => string | undefined } | undefined;
    return (src, dst) => {
        explainers ??= {
            layer4: calicoExplainer(objects),
            istio: IstioLayer.of(objects, clusterFromObjects(objects), podDetailsByWorkload(objects)),
            ambient: hasAmbientWorkloads(objects) ? ambientExplainer(objects) : undefined,
        };
        const pair = explainers.layer4(src, dst);
        const authorization = explainers.istio?.explain(src, dst);
        const ambient = authorization ? undefined : explainers.ambient?.(src, dst);
        return {
            ...(pair ? { layer4: formatLayer4(pair, src, dst) } : {}),
            ...(authorization ? { layer7: formatLayer7(authorization, src, dst) } : {}),
            ...(ambient ? { layer7: ambient } : {}),
        };
    };
}

/** `L3/4: ...; L7: ...`, the parts that apply. */
export function formatFlowExplanation(explanation: FlowExplanation): string {
    return [
        ...(explanation.layer4 ? [`L3/4: ${explanation.layer4}`] : []),
        ...(explanation.layer7 ? [`L7: ${explanation.layer7}`] : []),
    ].join("; ");
}

function formatLayer4(explanation: PairExplanation, src: string, dst: string): string {
    return [
        describeDirection(explanation.egress, `egress of ${src}`),
        ...(explanation.ingress ? [describeDirection(explanation.ingress, `ingress of ${dst}`)] : []),
    ].join("; ");
}

function describeDirection(direction: DirectionExplanation, what: string): string {
    if (direction.selectedBy.length === 0) {
        return `${what}: no policy selects it, so everything is allowed`;
    }
    const parts = [
        ...(direction.allowedBy.length > 0 ? [`allowed by ${direction.allowedBy.join(", ")}`] : []),
        ...(direction.deniedBy.length > 0 ? [`denied by ${direction.deniedBy.join(", ")}`] : []),
        ...(direction.endOfTier ? [`denied where no rule of ${direction.selectedBy.join(", ")} matches`] : []),
    ];
    return `${what}: ${parts.join(", ")}`;
}

function formatLayer7(explanation: AuthorizationExplanation, src: string, dst: string): string {
    const parts = [
        explanation.allowPolicies.length === 0
            ? "no ALLOW policy applies, so requests are allowed unless denied"
            : explanation.allowedBy.length > 0
                ? `allowed by ${explanation.allowedBy.join(", ")}`
                : `no rule of ${explanation.allowPolicies.join(", ")} admits ${src}`,
        ...(explanation.deniedBy.length > 0 ? [`denied by ${explanation.deniedBy.join(", ")}`] : []),
        ...(explanation.refusedWithoutMtls ? [`PeerAuthentication STRICT refuses ${src}, which has no sidecar`] : []),
    ];
    return `sidecar of ${dst}: ${parts.join(", ")}`;
}

/** Which ambient enforcement points (ztunnel, waypoints) admitted or refused a pair. */
function ambientExplainer(objects: readonly KubeObject[]): (src: string, dst: string) => string | undefined {
    const analysed = withWaypointWorkloads(objects);
    const layer = AmbientLayer.of(analysed, clusterFromObjects(analysed), podDetailsByWorkload(analysed));
    const flows = reachability(objects);
    return (src, dst) => layer?.explain(src, dst, flows);
}
