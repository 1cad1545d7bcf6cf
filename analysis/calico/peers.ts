/**
 * The peers the tiered evaluation compares: endpoints (workloads, and Calico's host and
 * workload endpoints), grouped where every policy treats them alike, with the tiers and
 * profiles that apply to each group; and External address ranges, cut wherever a rule's nets
 * or a network set's addresses begin or end, and named by the network sets that hold them.
 *
 * Endpoints are alike when they agree on what any selector, rule or profile can tell of them:
 * namespace, named ports, service account, addresses, profiles, and the values of the labels
 * some selector reads. Labels none reads (a version, a pod-template-hash) do not split a
 * group, so the stable and canary Deployments of a service are evaluated once. A group's
 * identity is its first endpoint's.
 */
import { Labels } from "../calicoSelector";
import { compareNames, externalName } from "../netpol/format";
import type { Endpoint } from "../netpol/connection";
import type { ExternalOptions } from "../netpol/connections";
import { Interval } from "../netpol/intervals";
import { Address, AddressSet, externalRanges, formatRange } from "../netpol/ipRanges";
import { RangeIndex } from "../netpol/rangeIndex";
import { Cluster, selectorView, Workload, workloadId } from "../netpol/workloads";
import { CalicoEndpoint, NetworkSet, PodEndpointDetails } from "./endpoints";
import { compareTiers, comparePolicies, EndpointIdentity, Group, Profile, RulePeer, Tier, TierPolicy, TierSlice } from "./model";
import { identityKeys, KeyIndex } from "./peerKeys";

type Direction = "ingress" | "egress";

/** Everything the tiered evaluation takes (index.ts gathers it from the objects). */
export interface TierInputs extends ExternalOptions {
    readonly cluster: Cluster;
    readonly serviceAccountOf: (workload: Workload) => string;
    readonly serviceAccountLabels: (namespace: string, name: string) => Labels;
    readonly policies: readonly TierPolicy[];
    readonly tiers: ReadonlyMap<string, Tier>;
    /** A pod's profiles (kns/ksa), unless a WorkloadEndpoint names others. */
    readonly podProfiles: (namespace: string, serviceAccount: string) => readonly Profile[];
    readonly podDetails: ReadonlyMap<string, PodEndpointDetails>;
    readonly endpoints: readonly CalicoEndpoint[];
    readonly networkSets: readonly NetworkSet[];
    /** Every profile given: the labels their rules read, the External cuts they make. */
    readonly profiles: readonly Profile[];
}

export interface PodsPeer { readonly kind: "pods"; readonly endpoint: Endpoint; readonly group: Group; readonly view: RulePeer }
export interface ExternalPeer { readonly kind: "external"; readonly endpoint: Endpoint; readonly range: Interval<Address>; readonly view: RulePeer }
export type Peer = PodsPeer | ExternalPeer;

/** The sources and destinations: the endpoints, and the External ranges that ingress (for sources) or egress (for destinations) rules cut. */
export function tieredPeers(inputs: TierInputs): { sources: Peer[]; destinations: Peer[] } {
    const ordered = [...inputs.policies].sort(comparePolicies);
    const endpoints = endpointPeers(inputs, ordered);
    const setNets = inputs.networkSets.map((set) => set.nets);
    const cuts = (direction: Direction) => [
        ...ordered.flatMap((policy) => (policy[direction] ?? []).flatMap((rule) => rule.externalCuts)),
        ...inputs.profiles.flatMap((profile) => profile[direction].flatMap((rule) => rule.externalCuts)),
        ...setNets,
    ];
    return {
        sources: [...endpoints, ...externalPeers(cuts("ingress"), inputs.networkSets, inputs.withIpv6)],
        destinations: [...endpoints, ...externalPeers(cuts("egress"), inputs.networkSets, inputs.withIpv6)],
    };
}

/** The identity the policy layers see of an endpoint. */
export function endpointIdentity(workload: Workload, namespaceLabels: Labels, serviceAccount: string, calico: Partial<Pick<EndpointIdentity, "serviceAccountLabels" | "host" | "addresses">> & { profileLabels?: Labels } = {}): EndpointIdentity {
    const { profileLabels, ...extra } = calico;
    return {
        namespace: workload.namespace,
        namespaceLabels,
        labels: workload.labels,
        serviceAccount,
        // A host endpoint has only its own labels (and its profiles'); a pod, Calico's labels for its namespace, orchestrator and account.
        calicoLabels: extra.host
            ? { ...profileLabels, ...workload.labels }
            : {
                ...profileLabels,
                ...workload.labels,
                "projectcalico.org/namespace": workload.namespace,
                "projectcalico.org/orchestrator": "k8s",
                "projectcalico.org/serviceaccount": serviceAccount,
            },
        calicoNamespaceLabels: extra.host ? {} : { ...namespaceLabels, "projectcalico.org/name": workload.namespace },
        ...extra,
    };
}

function endpointPeers(inputs: TierInputs, policies: readonly TierPolicy[]): PodsPeer[] {
    const groups = new Map<string, Group>();
    const labelsRead = new Set([
        ...policies.flatMap((policy) => [...policy.labelsRead, ...[...(policy.ingress ?? []), ...(policy.egress ?? [])].flatMap((rule) => rule.labelsRead)]),
        ...inputs.profiles.flatMap((profile) => [...profile.ingress, ...profile.egress].flatMap((rule) => rule.labelsRead)),
    ]);
    const bySelection = new KeyIndex(policies, (policy) => policy.selectedKeys);
    const tierOrder = [...inputs.tiers.values()].sort(compareTiers);
    const peer = (name: string, workload: Workload, serviceAccount: string, host: boolean, addresses: AddressSet | undefined, profiles: readonly Profile[]): PodsPeer => {
        const key = groupKey(workload, labelsRead, serviceAccount, host, addresses, profiles);
        let group = groups.get(key);
        if (!group) {
            const profileLabels = Object.assign({}, ...profiles.map((profile) => profile.labels)) as Labels;
            const identity = endpointIdentity(workload, inputs.cluster.namespaces.get(workload.namespace) ?? {}, serviceAccount, {
                ...(host ? { host } : { serviceAccountLabels: inputs.serviceAccountLabels(workload.namespace, serviceAccount) }),
                ...(addresses ? { addresses } : {}),
                profileLabels,
            });
            const selecting = bySelection.lookup(identityKeys(identity)).filter((policy) => policy.selects(identity));
            group = { identity, containerPorts: workload.containerPorts, ...slices(selecting, tierOrder), profiles };
            groups.set(key, group);
        }
        return { kind: "pods", endpoint: { kind: "workload", name, workload }, group, view: { kind: "pods", identity: group.identity } };
    };
    return [
        ...inputs.cluster.workloads.map((workload) => {
            const serviceAccount = inputs.serviceAccountOf(workload);
            const details = inputs.podDetails.get(workloadId(workload));
            return peer(workloadId(workload), workload, serviceAccount, false, details?.addresses, details?.profiles ?? inputs.podProfiles(workload.namespace, serviceAccount));
        }),
        ...inputs.endpoints.map((endpoint) => peer(endpoint.name, endpoint.workload, endpoint.serviceAccount, endpoint.host, endpoint.addresses, endpoint.profiles)),
    ];
}

/** The selecting policies by tier, in tier order, for each direction they apply in. */
function slices(selecting: readonly TierPolicy[], tierOrder: readonly Tier[]): Pick<Group, "ingress" | "egress"> {
    const of = (direction: Direction): TierSlice[] | undefined => {
        const found = tierOrder
            .map((tier) => ({ tier, policies: selecting.filter((policy) => policy.tier === tier.name && policy[direction] !== undefined) }))
            .filter((slice) => slice.policies.length > 0);
        return found.length === 0 ? undefined : found;
    };
    const ingress = of("ingress");
    const egress = of("egress");
    return { ...(ingress ? { ingress } : {}), ...(egress ? { egress } : {}) };
}

function groupKey(workload: Workload, labelsRead: ReadonlySet<string>, serviceAccount: string, host: boolean, addresses: AddressSet | undefined, profiles: readonly Profile[]): string {
    const addressKey = addresses === undefined ? null : [addresses.v4.intervals, addresses.v6.intervals.map(({ start, end }) => [String(start), String(end)])];
    return JSON.stringify([...selectorView(workload, labelsRead), serviceAccount, host, addressKey, profiles.map((profile) => profile.object)]);
}

function externalPeers(cuts: readonly AddressSet[], sets: readonly NetworkSet[], withIpv6: boolean | undefined): ExternalPeer[] {
    const ranges = externalRanges(cuts, withIpv6);
    // The ranges each set holds, found from its addresses (rangeIndex.ts): asking each range of each set grew with the square of the sets.
    const index = new RangeIndex(ranges.map((range) => ({ range })));
    const holding = ranges.map((): NetworkSet[] => []);
    for (const set of sets) {
        for (const { start, end } of index.within(set.nets).intervals) {
            for (let position = start; position <= end; position++) {
                holding[position].push(set);
            }
        }
    }
    return ranges.map((range) => {
        const inSets = holding[index.positionOf(range)!];
        const name = inSets.length === 0 ? externalName(range) : `${formatRange(range)}[${inSets.map((set) => set.object).join(", ")}]`;
        return { kind: "external", endpoint: { kind: "external", name, range }, range, view: { kind: "external", address: range.start, sets: inSets } };
    });
}

export function byName(peers: Peer[]): Peer[] {
    return peers.sort((a, b) => compareNames(a.endpoint.name, b.endpoint.name));
}

export function unitOf(peer: Peer): Group | Interval<Address> {
    return peer.kind === "pods" ? peer.group : peer.range;
}
