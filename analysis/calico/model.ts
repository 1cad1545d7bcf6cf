/**
 * The policy model that Calico evaluates, into which Calico GlobalNetworkPolicy /
 * NetworkPolicy and Kubernetes NetworkPolicy are all compiled: ordered policies, each with
 * ordered rules carrying an action. One tier only (Calico's `default`).
 */
import { Labels } from "../calicoSelector";
import { IntervalSet } from "../netpol/intervals";
import { PodIdentity } from "../netpol/policy";
import { ContainerPort, RulePorts } from "../netpol/ports";

/** What selectors of every layer see of a group of pods. */
export interface EndpointIdentity extends PodIdentity {
    /** The pod's labels plus `projectcalico.org/namespace`, `projectcalico.org/orchestrator` and `projectcalico.org/serviceaccount`. */
    readonly calicoLabels: Labels;
    /** The namespace's labels plus `projectcalico.org/name`. */
    readonly calicoNamespaceLabels: Labels;
    readonly serviceAccount: string;
}

export type RuleAction = "Allow" | "Deny" | "Pass" | "Log";

/** One side of a connection as a rule sees it. */
export type RulePeer =
    | { readonly kind: "pods"; readonly identity: EndpointIdentity }
    | { readonly kind: "external"; readonly address: number };

export interface TierRule {
    readonly action: RuleAction;
    readonly matchesSource: (peer: RulePeer) => boolean;
    readonly matchesDestination: (peer: RulePeer) => boolean;
    /** Keys one of which every pod matched on that side has (peerKeys.ts); absent: any pod may match. */
    readonly sourceKeys?: readonly string[];
    readonly destinationKeys?: readonly string[];
    /** The connections the rule covers towards a destination with the given container ports. */
    readonly connections: RulePorts;
    /** Address sets that cut External into the ranges reported as sources (ingress rules) or destinations (egress rules). */
    readonly externalCuts: readonly IntervalSet[];
}

export interface TierPolicy {
    /** For ordering ties, as Calico breaks them: by name. */
    readonly name: string;
    /** The object it was compiled from, as `Kind namespace/name` (or `Kind name`), for explanations. */
    readonly object: string;
    /** Lower first; a policy without `order` comes last (Infinity). Kubernetes NetworkPolicies are 1000. */
    readonly order: number;
    readonly selects: (identity: EndpointIdentity) => boolean;
    /** Keys one of which every endpoint it selects has (peerKeys.ts); absent: it may select any. */
    readonly selectedKeys?: readonly string[];
    /** Absent when the policy does not apply in that direction. */
    readonly ingress?: readonly TierRule[];
    readonly egress?: readonly TierRule[];
}

export function comparePolicies(a: TierPolicy, b: TierPolicy): number {
    return a.order !== b.order ? (a.order < b.order ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Workloads that every policy treats alike: same identity and named ports. */
export interface Group {
    readonly identity: EndpointIdentity;
    readonly containerPorts: readonly ContainerPort[];
    /** The policies selecting the group that apply in that direction, in evaluation order; absent when there are none. */
    readonly ingress?: readonly TierPolicy[];
    readonly egress?: readonly TierPolicy[];
}
