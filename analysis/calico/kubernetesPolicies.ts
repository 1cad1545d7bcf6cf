/**
 * Kubernetes NetworkPolicies as Calico runs them: policies of order 1000 in the default tier
 * (named `knp.default.<name>`), whose rules all Allow. Their peers are pods (and ipBlocks): a
 * host endpoint is no pod, so only an ipBlock holding one of its addresses admits it.
 */
import { addressesOverlap } from "../netpol/ipRanges";
import { NetworkPolicy, PolicyRule, ruleAdmitsAddress, ruleAdmitsPod, ruleLabelsRead } from "../netpol/policy";
import { labelsRead, matches } from "../calicoSelector";
import { anyAddress, ExternalMatch, RulePeer, TierPolicy, TierRule } from "./model";
import { kubernetesPolicyKeys, kubernetesRuleKeys } from "./peerKeys";
import { defaultTierName } from "./tiers";

export const kubernetesPolicyOrder = 1000;

export function kubernetesTierPolicy(policy: NetworkPolicy): TierPolicy {
    return {
        name: `${policy.namespace}/knp.default.${policy.name}`,
        object: `NetworkPolicy ${policy.namespace}/${policy.name}`,
        tier: defaultTierName,
        order: kubernetesPolicyOrder,
        selects: (identity) => identity.host !== true && identity.namespace === policy.namespace && matches(policy.podSelector, identity.labels),
        selectedKeys: kubernetesPolicyKeys(policy),
        labelsRead: labelsRead(policy.podSelector),
        ingress: policy.ingress?.map((rule, index) => tierRule(rule, index + 1, "source")),
        egress: policy.egress?.map((rule, index) => tierRule(rule, index + 1, "destination")),
    };
}

/** The rule's peers are the source of ingress, the destination of egress; the other side is the policy's own pod. */
function tierRule(rule: PolicyRule, index: number, peerSide: "source" | "destination"): TierRule {
    const admits = (peer: RulePeer) => {
        if (peer.kind === "external") {
            return ruleAdmitsAddress(rule, peer.address);
        }
        const { identity } = peer;
        if (identity.host) {
            return rule.peers === undefined || (identity.addresses !== undefined && addressesOverlap(identity.addresses, rule.peers.addresses));
        }
        return ruleAdmitsPod(rule, identity);
    };
    const any = () => true;
    const keys = kubernetesRuleKeys(rule);
    const addresses: ExternalMatch = rule.peers === undefined ? anyAddress : { nets: rule.peers.addresses };
    return {
        action: "Allow",
        index,
        matchesSource: peerSide === "source" ? admits : any,
        matchesDestination: peerSide === "destination" ? admits : any,
        sourceAddresses: peerSide === "source" ? addresses : anyAddress,
        destinationAddresses: peerSide === "destination" ? addresses : anyAddress,
        ...(keys === undefined ? {} : peerSide === "source" ? { sourceKeys: keys } : { destinationKeys: keys }),
        labelsRead: ruleLabelsRead(rule),
        connections: rule.ports,
        externalCuts: rule.peers?.ipBlocks ?? [],
    };
}
