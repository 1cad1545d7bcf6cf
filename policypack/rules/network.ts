import { selects, selectsEverything } from "../calicoSelectors";
import { RuleConfig, approvedGatewayPods } from "../config";
import { asEnforced, whenEnforced } from "../enforcement";
import { KubeObject, LabelSelector, groupOf, isEmptySelector, labelSelectorMatches, namespaceOf } from "../kubernetes";
import { Report, objectRule } from "../policy";

const everyAddress = ["0.0.0.0/0", "::/0"];

/**
 * Whether a policy applies to nothing but an approved gateway's pods: the one place where
 * ingress from anywhere is the point (public traffic, load-balancer health checks). `selects`
 * must pick the gateway's pods and not a pod without the gateway's labels.
 */
function onlyApprovedGateway(config: RuleConfig, selects: (namespace: string, podLabels: Record<string, string>) => boolean): boolean {
    return approvedGatewayPods(config).some(({ namespace, podLabels }) => selects(namespace, podLabels) && !selects(namespace, {}));
}

interface NetworkPolicyPeer {
    podSelector?: LabelSelector;
    namespaceSelector?: LabelSelector;
    ipBlock?: { cidr: string; except?: string[] };
}

/** Why a Kubernetes NetworkPolicy peer list admits everything, or undefined. */
function kubernetesPeersTooWide(peers: NetworkPolicyPeer[] | undefined): string | undefined {
    if (!peers || peers.length === 0) {
        return "every source or destination (the rule lists no peers)";
    }
    for (const peer of peers) {
        if (peer.ipBlock && everyAddress.includes(peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).length) {
            return `every address (ipBlock ${peer.ipBlock.cidr})`;
        }
        if (peer.namespaceSelector && isEmptySelector(peer.namespaceSelector) && isEmptySelector(peer.podSelector)) {
            return "every pod in every namespace (empty namespaceSelector)";
        }
        if (!peer.namespaceSelector && peer.podSelector && isEmptySelector(peer.podSelector)) {
            return "every pod of the namespace (empty podSelector)";
        }
    }
    return undefined;
}

export const networkPolicyNoAllowAll = objectRule({
    name: "network-policy-no-allow-all",
    description: "A Kubernetes NetworkPolicy rule (or a StagedKubernetesNetworkPolicy's, which takes effect at promotion) must name its peers: no rule without peers, no 0.0.0.0/0, no empty selectors. Only an approved gateway's pods may take ingress from anywhere.",
    kinds: ["NetworkPolicy", "StagedKubernetesNetworkPolicy"],
    config: ["approvedGateways", "publicServices", "controlPlaneNamespaces"],
    validate(object: KubeObject, config: RuleConfig, report: Report) {
        // The control plane is outside the default-deny; its charts bring their own policy.
        // A staged policy is judged as the policy it stages; a staged Delete holds no rules.
        const enforced = asEnforced(object);
        if (!enforced || groupOf(enforced) !== "networking.k8s.io" || config.controlPlaneNamespaces.includes(namespaceOf(object))) {
            return;
        }
        const staged = whenEnforced(object);
        const spec = enforced.spec ?? {};
        const gateway = onlyApprovedGateway(config, (namespace, podLabels) =>
            object.metadata.namespace === namespace && labelSelectorMatches(spec.podSelector, podLabels));
        (spec.ingress ?? []).forEach((rule: { from?: NetworkPolicyPeer[] }, index: number) => {
            const wide = kubernetesPeersTooWide(rule.from);
            if (wide && !gateway) {
                report(`admits ingress from ${wide} in spec.ingress[${index}]${staged}`, "list the callers' pods (namespaceSelector + podSelector); declare them as callers of the MeshService");
            }
        });
        (spec.egress ?? []).forEach((rule: { to?: NetworkPolicyPeer[] }, index: number) => {
            const wide = kubernetesPeersTooWide(rule.to);
            if (wide) {
                report(`allows egress to ${wide} in spec.egress[${index}]${staged}`, "list the destinations' pods or a narrow ipBlock; declare them as dependencies");
            }
        });
    },
});

interface CalicoEntity {
    selector?: string;
    namespaceSelector?: string;
    notSelector?: string;
    nets?: string[];
    notNets?: string[];
    serviceAccounts?: unknown;
    services?: unknown;
}

/** Why a Calico rule's source/destination matches everything, or undefined. */
function calicoEntityTooWide(entity: CalicoEntity | undefined): string | undefined {
    const e = entity ?? {};
    if (e.serviceAccounts || e.services || e.notSelector || (e.notNets ?? []).length) {
        return undefined;
    }
    if ((e.nets ?? []).some((net) => everyAddress.includes(net))) {
        return `every address (nets ${e.nets!.join(", ")})`;
    }
    if ((e.nets ?? []).length === 0 && selectsEverything(e.selector) && selectsEverything(e.namespaceSelector)) {
        return e.selector || e.namespaceSelector ? "every endpoint (all())" : "every endpoint (no selector or nets)";
    }
    return undefined;
}

export const calicoPolicyNoAllowAll = objectRule({
    name: "calico-policy-no-allow-all",
    description: "A Calico Allow rule (staged ones too, which take effect at promotion) must narrow its source (ingress) or destination (egress): no empty entity, no all() without exclusions, no 0.0.0.0/0. Only an approved gateway's pods may take ingress from anywhere.",
    kinds: ["GlobalNetworkPolicy", "NetworkPolicy", "StagedGlobalNetworkPolicy", "StagedNetworkPolicy"],
    config: ["approvedGateways", "publicServices", "controlPlaneNamespaces"],
    validate(object: KubeObject, config: RuleConfig, report: Report) {
        const enforced = asEnforced(object);
        if (!enforced || !["projectcalico.org", "crd.projectcalico.org"].includes(groupOf(enforced))) {
            return;
        }
        const kind = enforced.kind;
        if (kind === "NetworkPolicy" && config.controlPlaneNamespaces.includes(namespaceOf(object))) {
            return;
        }
        const staged = whenEnforced(object);
        const spec = enforced.spec ?? {};
        const gateway = onlyApprovedGateway(config, (namespace, podLabels) => {
            const namespaceLabels = { "projectcalico.org/name": namespace, "kubernetes.io/metadata.name": namespace };
            const inNamespace = kind === "NetworkPolicy" ? object.metadata.namespace === namespace : selects(spec.namespaceSelector, namespaceLabels);
            return inNamespace && selects(spec.selector, podLabels);
        });
        const check = (direction: "ingress" | "egress", peer: "source" | "destination") =>
            (spec[direction] ?? []).forEach((rule: { action?: string } & Record<string, CalicoEntity>, index: number) => {
                const wide = rule.action === "Allow" ? calicoEntityTooWide(rule[peer]) : undefined;
                if (wide && !(direction === "ingress" && gateway)) {
                    report(`allows ${direction} ${peer === "source" ? "from" : "to"} ${wide} in spec.${direction}[${index}]${staged}`, `narrow spec.${direction}[${index}].${peer} with a selector and namespaceSelector, or nets`);
                }
            });
        check("ingress", "source");
        check("egress", "destination");
    },
});

export const networkRules = [networkPolicyNoAllowAll, calicoPolicyNoAllowAll];
