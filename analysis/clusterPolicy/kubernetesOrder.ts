/**
 * One direction of a pod's traffic under ClusterNetworkPolicy and NetworkPolicy together, in
 * Kubernetes' order (network-policy-api v0.2.0, clusternetworkpolicy_types.go, `Spec.Tier`):
 *
 *   1. the Admin tier: the policies whose subject holds the pod, by priority, each one's rules
 *      of that direction in written order; the first rule that matches a connection decides it,
 *      Accept and Deny for good, Pass handing it to the next tier (the rest of this one skipped);
 *   2. NetworkPolicy: for a pod that a NetworkPolicy isolates in that direction, what its rules
 *      allow is allowed and the rest denied, whatever the Baseline tier says;
 *   3. the Baseline tier, as the Admin tier, a Pass skipping the rest of it;
 *   4. what is still undecided is allowed.
 *
 * Decided per port: a rule decides only the part of the undecided traffic its protocols cover.
 * This is what netpol/connections.ts runs where no Calico object is given; with Calico, the
 * same policies run in Calico's tiers (calico/clusterPolicies.ts), to the same result.
 */
import { subtractConnections } from "../calico/connectionSets";
import { AddressSet } from "../netpol/ipRanges";
import type { PodIdentity } from "../netpol/policy";
import { ConnectionSet, ContainerPort } from "../netpol/ports";
import { ClusterPolicy, ClusterPolicyRule, clusterPolicyLabelsRead, compareClusterPolicies, selectionHolds } from "./clusterNetworkPolicy";

type Direction = "ingress" | "egress";

/** The rules that apply to a pod in one direction, each tier's in evaluation order. */
export interface TierRules {
    readonly admin: readonly ClusterPolicyRule[];
    readonly baseline: readonly ClusterPolicyRule[];
}

/** A pod's rules by direction; a direction that no policy holding it has rules for is absent. */
export type PodClusterRules = { readonly [direction in Direction]?: TierRules };

/** Every ClusterNetworkPolicy, in evaluation order. */
export class ClusterPolicies {
    private readonly ordered: readonly ClusterPolicy[];

    constructor(policies: readonly ClusterPolicy[]) {
        this.ordered = [...policies].sort(compareClusterPolicies);
    }

    get size(): number {
        return this.ordered.length;
    }

    /** The rules of the policies whose subject holds `pod`; undefined when none has rules for it. */
    rulesOf(pod: PodIdentity): PodClusterRules | undefined {
        const holding = this.ordered.filter((policy) => selectionHolds(policy.subject, pod));
        const of = (direction: Direction): TierRules | undefined => {
            const admin = holding.filter((policy) => policy.tier === "Admin").flatMap((policy) => policy[direction]);
            const baseline = holding.filter((policy) => policy.tier === "Baseline").flatMap((policy) => policy[direction]);
            return admin.length === 0 && baseline.length === 0 ? undefined : { admin, baseline };
        };
        const ingress = of("ingress");
        const egress = of("egress");
        return ingress === undefined && egress === undefined ? undefined : { ...(ingress ? { ingress } : {}), ...(egress ? { egress } : {}) };
    }

    /** The pod labels their selectors read, for grouping pods they cannot tell apart. */
    labelsRead(): string[] {
        return this.ordered.flatMap(clusterPolicyLabelsRead);
    }

    /** The `networks` of one direction's rules, each peer's on its own: they cut External into ranges. */
    networks(direction: Direction): AddressSet[] {
        return this.ordered.flatMap((policy) => policy[direction].flatMap((rule) => rule.networks));
    }
}

/**
 * What one direction allows (see the top of this file). `admits`: whether a rule matches the peer
 * on the other side; `networkPolicy`: what the NetworkPolicies isolating the pod in this direction
 * allow, undefined when none does (called only for traffic the Admin tier leaves). This runs for
 * every pair of groups, so a tier none of whose rules matches costs no set operation.
 */
export function decideDirection(rules: TierRules, admits: (rule: ClusterPolicyRule) => boolean, destinationPorts: readonly ContainerPort[], networkPolicy: (() => ConnectionSet) | undefined): ConnectionSet {
    const admin = firstMatch(rules.admin, admits, destinationPorts, ConnectionSet.all);
    const rest = admin?.rest ?? ConnectionSet.all;
    if (rest.isEmpty()) {
        return admin!.accepted;
    }
    let next: ConnectionSet;
    if (networkPolicy !== undefined) {
        next = admin === undefined ? networkPolicy() : rest.intersect(networkPolicy());
    } else {
        const baseline = firstMatch(rules.baseline, admits, destinationPorts, rest);
        next = baseline === undefined ? rest : baseline.accepted.union(baseline.rest);
    }
    return admin === undefined || admin.accepted.isEmpty() ? next : admin.accepted.union(next);
}

/**
 * One tier's first-match evaluation of `traffic`: what it accepts, and what it passes on or
 * leaves undecided (`rest`); undefined when no rule matches, and all of it goes on.
 */
function firstMatch(rules: readonly ClusterPolicyRule[], admits: (rule: ClusterPolicyRule) => boolean, destinationPorts: readonly ContainerPort[], traffic: ConnectionSet): { accepted: ConnectionSet; rest: ConnectionSet } | undefined {
    let undecided = traffic;
    let accepted = ConnectionSet.none;
    let passed = ConnectionSet.none;
    let matched = false;
    for (const rule of rules) {
        if (undecided.isEmpty()) {
            break;
        }
        if (!admits(rule)) {
            continue;
        }
        const covered = undecided.intersect(rule.ports(destinationPorts));
        if (covered.isEmpty()) {
            continue;
        }
        matched = true;
        undecided = subtractConnections(undecided, covered);
        if (rule.action === "Accept") {
            accepted = accepted.union(covered);
        } else if (rule.action === "Pass") {
            passed = passed.union(covered);
        }
    }
    return matched ? { accepted, rest: passed.union(undecided) } : undefined;
}
