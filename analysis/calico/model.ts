/**
 * The policy model that Calico evaluates, into which Calico GlobalNetworkPolicy /
 * NetworkPolicy, Kubernetes NetworkPolicy and Calico Profiles are all compiled: ordered tiers
 * of ordered policies, each with ordered rules carrying an action, then the endpoint's
 * profiles.
 */
import { Labels } from "../calicoSelector";
import type { Address, AddressSet } from "../netpol/ipRanges";
import { PodIdentity } from "../netpol/policy";
import { ContainerPort, RulePorts } from "../netpol/ports";

/** What selectors of every layer see of a group of endpoints (pods, or a host endpoint). */
export interface EndpointIdentity extends PodIdentity {
    /** The pod's labels plus `projectcalico.org/namespace`, `projectcalico.org/orchestrator` and `projectcalico.org/serviceaccount`. */
    readonly calicoLabels: Labels;
    /** The namespace's labels plus `projectcalico.org/name`. */
    readonly calicoNamespaceLabels: Labels;
    readonly serviceAccount: string;
    /** The service account's labels, for `serviceAccountSelector` and `serviceAccounts.selector`. */
    readonly serviceAccountLabels?: Labels;
    /** A HostEndpoint: not namespaced, so only global selectors see it. */
    readonly host?: boolean;
    /** The addresses Calico knows for it (WorkloadEndpoint `ipNetworks`, HostEndpoint `expectedIPs`), which `nets` match. */
    readonly addresses?: AddressSet;
}

export type RuleAction = "Allow" | "Deny" | "Pass" | "Log";

/** A NetworkSet or GlobalNetworkSet an address belongs to, as rule selectors see it. */
export interface NetworkSetView {
    /** `NetworkSet ns/name` or `GlobalNetworkSet name`. */
    readonly object: string;
    /** Absent for a GlobalNetworkSet. */
    readonly namespace?: string;
    readonly labels: Labels;
    readonly namespaceLabels: Labels;
}

/** One side of a connection as a rule sees it. */
export type RulePeer =
    | { readonly kind: "pods"; readonly identity: EndpointIdentity }
    | { readonly kind: "external"; readonly address: Address; readonly sets: readonly NetworkSetView[] };

/** A Calico rule's `http` match: it needs the application layer (Istio's Envoy with Calico's ALP) to be enforced. */
export interface HttpMatch {
    readonly methods: readonly string[];
    readonly paths: readonly string[];
}

/**
 * Which External addresses one side of a rule can match, as address sets, so that a rule is
 * tried only on the ranges it can match (evaluate.ts): those in `nets` (any address where
 * absent) and not in `notNets`, every one of them unless the side has `bySets`.
 */
export interface ExternalMatch {
    readonly nets?: AddressSet;
    readonly notNets?: AddressSet;
    /**
     * Its selectors read the labels of the network sets holding an address: the side's
     * predicate decides for an address a set holds, `unlisted` for one that none holds.
     */
    readonly bySets?: {
        readonly unlisted: boolean;
        /** Keys one of which every network set it selects has (peerKeys.ts networkSetKeys); absent: it may select any. */
        readonly setKeys?: readonly string[];
    };
}

/** A side that matches every External address. */
export const anyAddress: ExternalMatch = {};

export interface TierRule {
    readonly action: RuleAction;
    /** 1-based, within its policy's rules of this direction, for explanations. */
    readonly index: number;
    /** The rule's own name (a ClusterNetworkPolicy rule's `name`), for explanations. */
    readonly name?: string;
    readonly matchesSource: (peer: RulePeer) => boolean;
    readonly matchesDestination: (peer: RulePeer) => boolean;
    /** What `matchesSource` and `matchesDestination` say of External addresses, as address sets. */
    readonly sourceAddresses: ExternalMatch;
    readonly destinationAddresses: ExternalMatch;
    /** Keys one of which every pod matched on that side has (peerKeys.ts); absent: any pod may match. */
    readonly sourceKeys?: readonly string[];
    readonly destinationKeys?: readonly string[];
    /** The endpoint labels its selectors read (calicoSelector.ts labelsRead), on either side. */
    readonly labelsRead: readonly string[];
    /** The connections the rule covers towards a destination with the given container ports. */
    readonly connections: RulePorts;
    /** Address sets that cut External into the ranges reported as sources (ingress rules) or destinations (egress rules). */
    readonly externalCuts: readonly AddressSet[];
    /** `ipVersion`: the rule matches only traffic of that family (evaluate.ts says which family a pair's traffic is). */
    readonly ipVersion?: 4 | 6;
    /** The rule matches only some source ports (evaluate.ts says what follows). */
    readonly someSourcePorts?: boolean;
    readonly http?: HttpMatch;
}

/** A Calico Tier: policies of lower order first; what no rule decides gets the default action. */
export interface Tier {
    readonly name: string;
    /** Lower first; absent (Infinity) after every ordered tier; ties by name. */
    readonly order: number;
    readonly defaultAction: "Deny" | "Pass";
}

export interface TierPolicy {
    /** For ordering ties, as Calico breaks them: by name. */
    readonly name: string;
    /** The object it was compiled from, as `Kind namespace/name` (or `Kind name`), for explanations. */
    readonly object: string;
    /** The name of its tier. */
    readonly tier: string;
    /** Lower first; a policy without `order` comes last (Infinity). Kubernetes NetworkPolicies are 1000. */
    readonly order: number;
    readonly selects: (identity: EndpointIdentity) => boolean;
    /** Keys one of which every endpoint it selects has (peerKeys.ts); absent: it may select any. */
    readonly selectedKeys?: readonly string[];
    /** The endpoint labels its selector reads (its rules say their own). */
    readonly labelsRead: readonly string[];
    /** Absent when the policy does not apply in that direction. */
    readonly ingress?: readonly TierRule[];
    readonly egress?: readonly TierRule[];
}

/** A Calico Profile: rules that decide what the tiers passed on (or every packet, where no policy applies). */
export interface Profile {
    /** `Profile kns.shop`. */
    readonly object: string;
    readonly ingress: readonly TierRule[];
    readonly egress: readonly TierRule[];
    /** Labels it gives the endpoints that use it (`labelsToApply`). */
    readonly labels: Labels;
}

export function comparePolicies(a: TierPolicy, b: TierPolicy): number {
    return a.order !== b.order ? (a.order < b.order ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function compareTiers(a: Tier, b: Tier): number {
    return a.order !== b.order ? (a.order < b.order ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The policies of one tier that apply to an endpoint in one direction, in evaluation order. */
export interface TierSlice {
    readonly tier: Tier;
    readonly policies: readonly TierPolicy[];
}

/** Endpoints that every policy treats alike: same identity, named ports and profiles. */
export interface Group {
    readonly identity: EndpointIdentity;
    readonly containerPorts: readonly ContainerPort[];
    /** The tiers with policies selecting the group in that direction, in order; absent when there are none. */
    readonly ingress?: readonly TierSlice[];
    readonly egress?: readonly TierSlice[];
    /** Applied, in order, to what the tiers pass on; a pod's Kubernetes profiles allow everything. */
    readonly profiles: readonly Profile[];
}
