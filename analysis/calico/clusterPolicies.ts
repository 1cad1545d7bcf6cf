/**
 * ClusterNetworkPolicies as Calico v3.32.1 runs them. Its conversion
 * (libcalico-go/lib/backend/k8s/conversion/clusternetworkpolicy.go, K8sClusterNetworkPolicyToCalico)
 * makes each one a GlobalNetworkPolicy of the same name:
 *
 *   - tier `kube-admin` for `tier: Admin`, `kube-baseline` for `tier: Baseline` (tiers.ts: both
 *     default to Pass, and run before and after the `default` tier); `order` the priority;
 *   - its `namespaceSelector` the subject's namespace selector (an empty one `all()`), its
 *     `selector` the subject's pod selector and `projectcalico.org/orchestrator == 'k8s'`
 *     (k8sSelectorToCalico), so a host endpoint is never a subject;
 *   - `types` only for the directions that have rules;
 *   - each rule becomes one Calico rule per peer (and protocol), of action Allow (Accept), Deny
 *     or Pass: a `namespaces` peer is a `namespaceSelector` alone, a `pods` peer a
 *     `namespaceSelector` and a `selector` (with the orchestrator term), a `networks` peer `nets`;
 *     the `protocols` are the destination ports (none: any protocol), and a
 *     `destinationNamedPort` a named port of no protocol, which Felix matches whatever protocol
 *     the endpoint gives the port (felix/calc/rule_scanner.go ruleToParsedRule:
 *     `ipsetmember.ProtocolAny`).
 *
 * The peers are compiled as a Calico rule's source or destination (entity.ts), so they match
 * what Calico's rules do: `nets` also endpoints whose addresses are given, a `namespaces` peer
 * also the network sets of those namespaces. The conversion drops a rule it cannot convert
 * (Accept) or makes it a deny-all (Deny, Pass); every rule of an object the CRD's schema and CEL
 * rules accept, as `ztmesh reach` checks first, converts.
 *
 * Equal priorities order by name in both engines (felix/calc/policy_sorter.go PolKVLess).
 * Where no Calico policy applies to a pod, this is Kubernetes' order (clusterPolicy/
 * kubernetesOrder.ts): a NetworkPolicy isolating the pod in a direction puts the `default` tier
 * in that direction's path, whose default action Deny ends there what the NetworkPolicy does not
 * allow, so `kube-baseline` never sees it; without one the tier is skipped (Felix skips a tier
 * none of whose policies applies) and `kube-baseline` decides. A Calico policy of the `default`
 * tier that applies to the pod (a default-deny GlobalNetworkPolicy) puts the tier in the path
 * just the same: the Baseline tier then decides nothing for that pod, whatever it says.
 */
import { canonical, labelsRead, matches } from "../calicoSelector";
import { ClusterPolicy, ClusterPolicyRule, PodSelection } from "../clusterPolicy/clusterNetworkPolicy";
import { compileEntity, EntityRule } from "./entity";
import { anyAddress, TierPolicy, TierRule } from "./model";
import { selectorKeys } from "./peerKeys";

const tierOf = { Admin: "kube-admin", Baseline: "kube-baseline" } as const;
const actionOf = { Accept: "Allow", Deny: "Deny", Pass: "Pass" } as const;

/** What makes a Calico selector select pods only (k8sSelectorToCalico's SelectorPod). */
const podsOnly = "projectcalico.org/orchestrator == 'k8s'";

export function clusterTierPolicy(policy: ClusterPolicy, endpointAddresses: boolean): TierPolicy {
    const { subject } = policy;
    const keys = selectorKeys(subject.pods, "calico") ?? selectorKeys(subject.namespaces, "calicoNamespace");
    const rules = (direction: "ingress" | "egress") => (policy[direction].length === 0 ? undefined
        : policy[direction].flatMap((rule) => tierRules(rule, direction, endpointAddresses)));
    return {
        name: policy.name,
        object: policy.object,
        tier: tierOf[policy.tier],
        order: policy.priority,
        selects: (identity) => identity.host !== true && matches(subject.namespaces, identity.calicoNamespaceLabels) && matches(subject.pods, identity.calicoLabels),
        ...(keys === undefined ? {} : { selectedKeys: keys }),
        labelsRead: labelsRead(subject.pods),
        ingress: rules("ingress"),
        egress: rules("egress"),
    };
}

/** One tier rule per peer, as Calico's conversion makes them. */
function tierRules(rule: ClusterPolicyRule, direction: "ingress" | "egress", endpointAddresses: boolean): TierRule[] {
    const entities: EntityRule[] = [...rule.pods.map(podEntity), ...rule.networkCidrs.map((nets) => ({ nets: [...nets] }))];
    return entities.map((entity) => {
        const peer = compileEntity(entity, { endpointAddresses });
        const ingress = direction === "ingress";
        const any = () => true;
        return {
            action: actionOf[rule.action],
            index: rule.index,
            ...(rule.name === undefined ? {} : { name: rule.name }),
            matchesSource: ingress ? peer.matches : any,
            matchesDestination: ingress ? any : peer.matches,
            sourceAddresses: ingress ? peer.addresses : anyAddress,
            destinationAddresses: ingress ? anyAddress : peer.addresses,
            ...(peer.podKeys === undefined ? {} : ingress ? { sourceKeys: peer.podKeys } : { destinationKeys: peer.podKeys }),
            labelsRead: peer.labelsRead,
            connections: rule.ports,
            externalCuts: peer.nets,
        };
    });
}

/**
 * A `namespaces` or `pods` peer as Calico's entity: the namespace selector, and for `pods` the
 * pod selector with the orchestrator term (last, so that the selector's own terms give the
 * index keys, peerKeys.ts; the order of `&&` terms changes nothing else).
 */
function podEntity(peer: PodSelection): EntityRule {
    const namespaceSelector = canonical(peer.namespaces);
    if (peer.field === "namespaces") {
        return { namespaceSelector };
    }
    return { namespaceSelector, selector: peer.pods.kind === "all" ? podsOnly : `${canonical(peer.pods)} && ${podsOnly}` };
}
