/**
 * Kubernetes NetworkPolicies as Calico runs them: policies of order 1000 in the default tier
 * (named `knp.default.<name>`), whose rules all Allow.
 */
import { NetworkPolicy, PolicyRule, ruleAdmitsAddress, ruleAdmitsPod } from "../netpol/policy";
import { matches } from "../calicoSelector";
import { RulePeer, TierPolicy, TierRule } from "./model";
import { kubernetesPolicyKeys, kubernetesRuleKeys } from "./peerKeys";

export const kubernetesPolicyOrder = 1000;

export function kubernetesTierPolicy(policy: NetworkPolicy): TierPolicy {
    return {
        name: `${policy.namespace}/knp.default.${policy.name}`,
        object: `NetworkPolicy ${policy.namespace}/${policy.name}`,
        order: kubernetesPolicyOrder,
        selects: (identity) => identity.namespace === policy.namespace && matches(policy.podSelector, identity.labels),
        selectedKeys: kubernetesPolicyKeys(policy),
        ingress: policy.ingress?.map((rule) => tierRule(rule, "source")),
        egress: policy.egress?.map((rule) => tierRule(rule, "destination")),
    };
}

/** The rule's peers are the source of ingress, the destination of egress; the other side is the policy's own pod. */
function tierRule(rule: PolicyRule, peerSide: "source" | "destination"): TierRule {
    const admits = (peer: RulePeer) => peer.kind === "pods" ? ruleAdmitsPod(rule, peer.identity) : ruleAdmitsAddress(rule, peer.address);
    const any = () => true;
    const keys = kubernetesRuleKeys(rule);
    return {
        action: "Allow",
        matchesSource: peerSide === "source" ? admits : any,
        matchesDestination: peerSide === "destination" ? admits : any,
        ...(keys === undefined ? {} : peerSide === "source" ? { sourceKeys: keys } : { destinationKeys: keys }),
        connections: rule.ports,
        externalCuts: rule.peers?.ipBlocks ?? [],
    };
}
