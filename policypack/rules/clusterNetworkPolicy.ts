import {
    Direction, PlacedRule, deniesEverything, describeRule, everything, guardedByClusterNetworkPolicies, mayPrecede, placedRules, subjectTakesIn,
} from "../clusterNetworkPolicies";
import { RuleConfig } from "../config";
import { KubeObject } from "../kubernetes";
import { stackRule } from "../policy";
import { StackModel } from "../stackModel";
import { appNamespaces, missing, namespaceLabels } from "./stackWide";

type StackReport = (object: KubeObject, urn: string, problem: string, fix: string) => void;

/** The Baseline deny-by-default rules that take in every pod of `namespace` in `direction`. */
function baselineDenies(rules: PlacedRule[], labels: Record<string, string>, direction: Direction): PlacedRule[] {
    return rules.filter((placed) => placed.tier === "Baseline" && placed.direction === direction
        && deniesEverything(placed.rule, direction) && subjectTakesIn(placed.policy.object, labels, true));
}

/**
 * Why an Accept or Pass rule that takes in everything opens `namespace`, or undefined.
 * - Admin Accept: ends evaluation before any NetworkPolicy; nothing the namespace writes closes it.
 * - Baseline Accept, or Baseline Pass (skips the rest of the tier, so the connection is
 *   allowed): for every pod no NetworkPolicy selects, unless a deny-by-default of the tier
 *   comes first.
 * - Admin Pass hands the connection to the namespace's NetworkPolicies and then the Baseline
 *   tier, which is what happens without it; it opens only what an Admin Deny after it would
 *   have closed.
 */
function opening(placed: PlacedRule, rules: PlacedRule[], labels: Record<string, string>): string | undefined {
    const { tier, direction, rule } = placed;
    if (tier === "Admin" && rule.action === "Accept") {
        return "before every NetworkPolicy of the namespace, which cannot close it";
    }
    if (tier === "Baseline" && (rule.action === "Accept" || rule.action === "Pass")) {
        const denies = baselineDenies(rules, labels, direction);
        if (denies.every((deny) => mayPrecede(placed, deny))) {
            return rule.action === "Pass"
                ? "for every pod no NetworkPolicy selects: Pass skips the rest of the Baseline tier, the deny-by-default included, and the connection is allowed"
                : "for every pod no NetworkPolicy selects, before the deny-by-default";
        }
        return undefined;
    }
    if (tier === "Admin" && rule.action === "Pass") {
        const voided = rules.find((other) => other !== placed && other.tier === "Admin" && other.direction === direction && other.rule.action === "Deny"
            && subjectTakesIn(other.policy.object, labels, false) && mayPrecede(placed, other));
        return voided ? `past the Admin Deny of ClusterNetworkPolicy ${voided.policy.object.metadata.name} ${describeRule(voided)}` : undefined;
    }
    return undefined;
}

export const clusterNetworkPolicyNoOpenTier = stackRule({
    name: "cluster-network-policy-no-open-tier",
    description: "No ClusterNetworkPolicy opens an application namespace to everything: no Admin-tier Accept of every pod or address (it overrides every NetworkPolicy), no Baseline-tier Accept or Pass of everything before the deny-by-default, and no Admin-tier Pass of everything that skips an Admin Deny.",
    config: ["controlPlaneNamespaces"],
    validate(model: StackModel, config: RuleConfig, report: StackReport) {
        const rules = placedRules(model);
        if (!rules.length) {
            return;
        }
        const namespaces = appNamespaces(model, config).map((namespace) => ({ namespace, labels: namespaceLabels(model, namespace) }));
        for (const placed of rules) {
            const wide = everything(placed.rule, placed.direction);
            if (!wide || (placed.rule.action !== "Accept" && placed.rule.action !== "Pass")) {
                continue;
            }
            const opened = namespaces.flatMap(({ namespace, labels }) => {
                const why = subjectTakesIn(placed.policy.object, labels, false) ? opening(placed, rules, labels) : undefined;
                return why ? [{ namespace, why }] : [];
            });
            if (opened.length) {
                const way = placed.direction === "ingress" ? "ingress from" : "egress to";
                report(placed.policy.object, placed.policy.urn,
                    `is a zero-trust hole: ${placed.tier} ${placed.rule.action} of ${way} ${wide} in ${describeRule(placed)} opens ${opened.map((o) => o.namespace).join(", ")} ${opened[0].why}`,
                    "name the peers and ports the rule is for (namespaces or pods selectors, narrow networks, protocols), or drop the rule: each MeshService admits its declared callers");
            }
        }
    },
});

export const clusterNetworkPolicyDefaultDeny = stackRule({
    name: "cluster-network-policy-default-deny",
    description: "In a stack whose cluster guardrails are ClusterNetworkPolicies (it has ClusterNetworkPolicies and no Calico GlobalNetworkPolicy), every application namespace is under a Baseline-tier deny-by-default: Deny ingress from every pod and egress to 0.0.0.0/0 and ::/0, for every pod of the namespace.",
    config: ["controlPlaneNamespaces"],
    validate(model: StackModel, config: RuleConfig, report: StackReport) {
        if (!guardedByClusterNetworkPolicies(model)) {
            return;
        }
        const rules = placedRules(model);
        for (const namespace of appNamespaces(model, config)) {
            const labels = namespaceLabels(model, namespace);
            const uncovered = (["ingress", "egress"] as const).filter((direction) => !baselineDenies(rules, labels, direction).length);
            if (uncovered.length) {
                const target = model.namespace(namespace) ?? { object: missing("Namespace", undefined, namespace), urn: "" };
                report(target.object, target.urn, `has no Baseline-tier ClusterNetworkPolicy deny-by-default for ${uncovered.join(" and ")}: what no NetworkPolicy decides is allowed`,
                    "add ZeroTrustBaseline with clusterPolicy: clusterNetworkPolicy (its ztmesh-default-deny denies ingress from every pod and egress to 0.0.0.0/0 and ::/0 for every namespace but the control plane)");
            }
        }
    },
});

export const clusterNetworkPolicyRules = [clusterNetworkPolicyNoOpenTier, clusterNetworkPolicyDefaultDeny];
