/**
 * Why a pair's traffic is what it is, in plain sentences, at both layers: at layer 3/4 the
 * rule that decided each part of the source's egress and of the destination's ingress
 * (policy, rule number, tier), the tier end or profile that decided the rest; at layer 7 the
 * AuthorizationPolicies that admitted or denied the caller at the destination's proxy. For
 * example: "egress of bookinfo/reviews[Deployment]: no policy selects it, so Profile
 * kns.bookinfo allows everything; ingress of bookinfo/ratings[Deployment]: TCP 9080 allowed
 * by NetworkPolicy bookinfo/ratings rule 1, the rest denied at the end of tier default;
 * sidecar of bookinfo/ratings[Deployment]: ALLOW by AuthorizationPolicy bookinfo/ratings".
 * The listing of flows does not track this; messages about a few flows ask for it here.
 */
import { calicoExplainer } from "./calico";
import type { Decision, DirectionExplanation, PairExplanation } from "./calico";
import { AmbientLayer, hasAmbientWorkloads, withWaypointWorkloads } from "./istio/ambient";
import { AuthorizationExplanation, IstioLayer } from "./istio/evaluate";
import { KubeObject } from "./manifests";
import { formatConnectionSet } from "./netpol/format";
import { ConnectionSet } from "./netpol/ports";
import { clusterModel } from "./model/cluster";
import { defaultTierName } from "./calico/tiers";
import { reachability } from "./reach";
import { escapeControl } from "./text/escape";

export interface FlowExplanation {
    readonly layer4?: string;
    /** Absent when the destination has no sidecar and is not in the ambient mesh. */
    readonly layer7?: string;
}

/** The sentences of a pair, one per enforcement point: layer 3/4 egress and ingress, then layer 7. */
export interface FlowExplanationParts {
    /** The source's egress (absent from External), then the destination's ingress (absent towards External). */
    readonly layer4: readonly string[];
    /** The destination's sidecar or ambient enforcement points; absent when it is in no mesh. */
    readonly layer7?: string;
}

/**
 * Explains pairs of endpoints, by name, under the policies in `objects`. The evaluators are
 * built on the first question, so asking none (a stack without differences) costs nothing.
 */
export function flowExplainer(objects: readonly KubeObject[]): (src: string, dst: string) => FlowExplanation {
    const explainParts = flowPartsExplainer(objects);
    return (src, dst) => {
        const { layer4, layer7 } = explainParts(src, dst);
        return { ...(layer4.length > 0 ? { layer4: layer4.join("; ") } : {}), ...(layer7 !== undefined ? { layer7 } : {}) };
    };
}

export interface FlowPartsOptions {
    /** Name the policies of a tier that selected the endpoint where the tier's end decides: the default-deny that denies. */
    readonly tierPolicies?: boolean;
}

/** flowExplainer's sentences one by one (escaped), for a listing that puts each on its own line. */
export function flowPartsExplainer(objects: readonly KubeObject[], options: FlowPartsOptions = {}): (src: string, dst: string) => FlowExplanationParts {
    let explainers: { layer4: ReturnType<typeof calicoExplainer>; istio?: IstioLayer; ambient?: (src: string, dst: string) => string | undefined } | undefined;
    return (src, dst) => {
        if (!explainers) {
            const model = clusterModel(objects);
            explainers = {
                layer4: calicoExplainer(model),
                istio: IstioLayer.of(model),
                ambient: hasAmbientWorkloads(objects) ? ambientExplainer(objects) : undefined,
            };
        }
        const pair = explainers.layer4(src, dst);
        const authorization = explainers.istio?.explain(src, dst);
        const ambient = authorization ? undefined : explainers.ambient?.(src, dst);
        const layer7 = authorization ? formatLayer7(authorization, src, dst) : ambient;
        // Escaped: the sentences name objects, and are printed on the console (consoleSummary).
        return {
            layer4: (pair ? layer4Sentences(pair, src, dst, options.tierPolicies === true) : []).map(escapeControl),
            ...(layer7 !== undefined ? { layer7: escapeControl(layer7) } : {}),
        };
    };
}

/** The sentences of both layers that apply, joined by "; ". */
export function formatFlowExplanation(explanation: FlowExplanation): string {
    return [explanation.layer4, explanation.layer7].filter((part): part is string => part !== undefined).join("; ");
}

function layer4Sentences(explanation: PairExplanation, src: string, dst: string, tierPolicies: boolean): string[] {
    return [
        ...(explanation.egress ? [describeDirection(explanation.egress, `egress of ${src}`, tierPolicies)] : []),
        ...(explanation.ingress ? [describeDirection(explanation.ingress, `ingress of ${dst}`, tierPolicies)] : []),
    ];
}

function describeDirection(direction: DirectionExplanation, what: string, tierPolicies: boolean): string {
    const [first] = direction.decisions;
    const notes = direction.notes.map((note) => `, note: ${note}`).join("");
    if (direction.unselected && direction.decisions.length === 1 && first.kind === "profile" && first.action === "Allow" && first.connections.isAll()) {
        return `${what}: no policy selects it, so ${first.profile} allows everything${notes}`;
    }
    const parts = direction.decisions.map((decision, index) => describeDecision(decision, index > 0, tierPolicies));
    return `${what}: ${parts.join(", ")}${notes}`;
}

const verbs = { Allow: "allowed", Deny: "denied", Pass: "passed to the next tier" } as const;

function traffic(connections: ConnectionSet, rest: boolean): string {
    return rest ? "the rest" : connections.isAll() ? "everything" : formatConnectionSet(connections);
}

/**
 * One decision as a clause; `later`: an earlier decision took part of the traffic, so a
 * catch-all speaks of "the rest"; `tierPolicies`: a tier's end names the policies selecting the endpoint.
 */
function describeDecision(decision: Decision, later: boolean, tierPolicies: boolean): string {
    switch (decision.kind) {
        case "rule": {
            const tier = decision.tier === defaultTierName ? "" : ` in tier ${decision.tier}`;
            const sourcePorts = decision.someSourcePorts ? " (a rule of some source ports only: not every client port is admitted)" : "";
            const name = decision.ruleName === undefined ? "" : ` (${decision.ruleName})`;
            return `${traffic(decision.connections, false)} ${verbs[decision.action]} by ${decision.policy} rule ${decision.rule}${name}${tier}${sourcePorts}`;
        }
        case "endOfTier":
            return `${traffic(decision.connections, later)} ${verbs[decision.action]} at the end of tier ${decision.tier}${tierPolicies && decision.policies.length > 0 ? ` (selected by ${decision.policies.join(", ")})` : ""}`;
        case "profile":
            return `${traffic(decision.connections, false)} ${verbs[decision.action]} by ${decision.profile} rule ${decision.rule}`;
        case "noProfile":
            return decision.profiles.length === 0
                ? `${traffic(decision.connections, later)} denied, as a host endpoint without profiles drops what no policy allows`
                : `${traffic(decision.connections, later)} denied, as no rule of ${decision.profiles.join(", ")} allows it`;
        case "failsafe":
            return `${traffic(decision.connections, false)} allowed by Felix's failsafe ports`;
    }
}

function formatLayer7(explanation: AuthorizationExplanation, src: string, dst: string): string {
    const parts = [
        explanation.allowPolicies.length === 0
            ? "no ALLOW policy applies, so requests are allowed unless denied"
            : explanation.allowedBy.length > 0
                ? `ALLOW by ${explanation.allowedBy.join(", ")}`
                : `no rule of ${explanation.allowPolicies.join(", ")} admits ${src}`,
        ...(explanation.deniedBy.length > 0 ? [`DENY by ${explanation.deniedBy.join(", ")}`] : []),
        ...(explanation.refusedWithoutMtls ? [`PeerAuthentication STRICT refuses ${src}, which has no sidecar`] : []),
    ];
    return `sidecar of ${dst}: ${parts.join(", ")}`;
}

/** Which ambient enforcement points (ztunnel, waypoints) admitted or refused a pair. */
function ambientExplainer(objects: readonly KubeObject[]): (src: string, dst: string) => string | undefined {
    const analysed = withWaypointWorkloads(objects);
    const layer = AmbientLayer.of(clusterModel(analysed));
    const flows = reachability(objects);
    return (src, dst) => layer?.explain(src, dst, flows);
}
