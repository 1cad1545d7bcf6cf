/**
 * A Calico rule's `source` or `destination` (an EntityRule) as a predicate on a connection's
 * side (docs.tigera.io/calico/latest/reference/resources/networkpolicy#entityrule).
 *
 * Scope of selectors: `namespaceSelector` restricts matches to endpoints and NetworkSets in the
 * selected namespaces, and `global()` to non-namespaced ones (HostEndpoints,
 * GlobalNetworkSets); without it, the selectors (`selector`, `notSelector`, `serviceAccounts`)
 * of a namespaced policy apply to the policy's own namespace and those of a
 * GlobalNetworkPolicy (or Profile) to everything. An empty entity matches every peer, inside
 * or outside the cluster.
 *
 * Addresses: `nets` and `notNets` match External addresses, and endpoints whose addresses
 * Calico is told (WorkloadEndpoint `ipNetworks`, HostEndpoint `expectedIPs`); a pod's address
 * is otherwise unknown, so `nets` never match it and `notNets` never exclude it. An address in
 * a NetworkSet or GlobalNetworkSet is selected by the set's labels.
 *
 * `services` (a Kubernetes Service as the peer, e.g. `default/kubernetes` for the API server)
 * matches no workload here: Service endpoints are not modelled, and ztmesh uses it only for the
 * API server, which runs outside the pod network.
 */
import { Labels, labelsRead, matches, parseSelector, SelectorNode } from "../calicoSelector";
import { addressBlocks, addressesContain, addressesOverlap, AddressSet, noAddresses } from "../netpol/ipRanges";
import { EndpointIdentity, ExternalMatch, RulePeer } from "./model";
import { calicoEntityKeys } from "./peerKeys";

export interface EntityRule {
    selector?: unknown;
    notSelector?: unknown;
    namespaceSelector?: unknown;
    nets?: unknown;
    notNets?: unknown;
    ports?: unknown[];
    notPorts?: unknown[];
    serviceAccounts?: { names?: unknown; selector?: unknown };
    services?: unknown;
}

export interface CompiledEntity {
    readonly matches: (peer: RulePeer) => boolean;
    /** Keys one of which every pod it matches has (peerKeys.ts); absent: any pod may match. */
    readonly podKeys?: readonly string[];
    /** The endpoint (and network set) labels its selectors read; namespace and service account labels are not counted. */
    readonly labelsRead: readonly string[];
    /** The address sets named, each on its own, for cutting External into ranges. */
    readonly nets: readonly AddressSet[];
    /** What `matches` says of External addresses, as address sets. */
    readonly addresses: ExternalMatch;
}

/** Where a rule is evaluated: the policy's namespace (none for global policies and profiles), and whether any endpoint has known addresses. */
export interface EntityContext {
    readonly namespace?: string;
    readonly endpointAddresses: boolean;
}

/** Something a rule's selectors can select: an endpoint, or a network set. */
interface Selectable {
    /** Absent: not namespaced. */
    readonly namespace?: string;
    readonly labels: Labels;
    readonly namespaceLabels: Labels;
    readonly serviceAccount?: { readonly name: string; readonly labels: Labels };
}

export function compileEntity(entity: EntityRule, context: EntityContext): CompiledEntity {
    if (entity.services !== undefined) {
        return { matches: () => false, podKeys: [], labelsRead: [], nets: [], addresses: { nets: noAddresses } };
    }
    const { namespace } = context;
    const selector = optionalSelector(entity.selector, "selector");
    const notSelector = optionalSelector(entity.notSelector, "notSelector");
    const namespaceSelector = optionalSelector(entity.namespaceSelector, "namespaceSelector");
    const accounts = entity.serviceAccounts?.names === undefined || entity.serviceAccounts.names === null
        ? undefined : stringList(entity.serviceAccounts.names, "serviceAccounts.names");
    const accountSelector = optionalSelector(entity.serviceAccounts?.selector, "serviceAccounts.selector");
    const nets = netList(entity.nets, "nets");
    const notNets = netList(entity.notNets, "notNets");
    const selectsEndpoints = selector !== undefined || namespaceSelector !== undefined || accounts !== undefined || accountSelector !== undefined;

    const inScope = (item: Selectable): boolean => {
        if (namespaceSelector !== undefined) {
            return namespaceSelector.kind === "global" ? item.namespace === undefined : item.namespace !== undefined && matches(namespaceSelector, item.namespaceLabels);
        }
        return namespace === undefined || item.namespace === namespace;
    };
    // The positive part: every selector given must select the item, within scope.
    const selected = (item: Selectable): boolean => {
        if (!inScope(item)) {
            return false;
        }
        if (selector !== undefined && !matches(selector, item.labels)) {
            return false;
        }
        if (accounts !== undefined || accountSelector !== undefined) {
            const account = item.serviceAccount;
            return account !== undefined
                && (accounts === undefined || accounts.includes(account.name))
                && (accountSelector === undefined || matches(accountSelector, account.labels));
        }
        return true;
    };
    const excluded = (item: Selectable): boolean => notSelector !== undefined && inScope(item) && matches(notSelector, item.labels);

    const matchesEndpoint = (peer: RulePeer & { kind: "pods" }): boolean => {
        const { identity } = peer;
        const item = selectable(identity);
        if (nets !== undefined && (identity.addresses === undefined || !addressesOverlap(identity.addresses, nets))) {
            return false;
        }
        if (notNets !== undefined && identity.addresses !== undefined && addressesOverlap(identity.addresses, notNets)) {
            return false;
        }
        return (!selectsEndpoints || selected(item)) && !excluded(item);
    };
    const matchesAddress = (peer: RulePeer & { kind: "external" }): boolean => {
        if ((nets !== undefined && !addressesContain(nets, peer.address)) || (notNets !== undefined && addressesContain(notNets, peer.address))) {
            return false;
        }
        if (selectsEndpoints && !peer.sets.some(selected)) {
            return false;
        }
        return !peer.sets.some(excluded);
    };

    const scopedNamespace = namespaceSelector === undefined && (selector !== undefined || accounts !== undefined || accountSelector !== undefined) ? namespace : undefined;
    // Without known endpoint addresses, `nets` match no endpoint at all.
    const selectedKeys = calicoEntityKeys(selector, namespaceSelector, scopedNamespace);
    const podKeys = nets !== undefined && !context.endpointAddresses ? [] : selectedKeys;
    return {
        matches: (peer) => (peer.kind === "pods" ? matchesEndpoint(peer) : matchesAddress(peer)),
        ...(podKeys === undefined ? {} : { podKeys }),
        labelsRead: [selector, notSelector].flatMap((node) => (node === undefined ? [] : labelsRead(node))),
        nets: [nets, notNets].filter((set): set is AddressSet => set !== undefined),
        // As matchesAddress: with no set holding the address, selectors select nothing and notSelector excludes nothing.
        addresses: {
            ...(nets ? { nets } : {}),
            ...(notNets ? { notNets } : {}),
            ...(selectsEndpoints || notSelector !== undefined ? { bySets: { unlisted: !selectsEndpoints, ...(selectsEndpoints && selectedKeys ? { setKeys: selectedKeys } : {}) } } : {}),
        },
    };
}

/** An endpoint as selectors see it; made once per endpoint, as every rule asks. */
const selectables = new WeakMap<EndpointIdentity, Selectable>();

function selectable(identity: EndpointIdentity): Selectable {
    let item = selectables.get(identity);
    if (!item) {
        item = identity.host
            ? { labels: identity.calicoLabels, namespaceLabels: identity.calicoNamespaceLabels }
            : {
                namespace: identity.namespace,
                labels: identity.calicoLabels,
                namespaceLabels: identity.calicoNamespaceLabels,
                serviceAccount: { name: identity.serviceAccount, labels: identity.serviceAccountLabels ?? {} },
            };
        selectables.set(identity, item);
    }
    return item;
}

export function optionalSelector(value: unknown, field: string): SelectorNode | undefined {
    if (value === undefined || value === null || value === "") {
        return undefined;
    }
    if (typeof value !== "string") {
        throw new Error(`${field} is not a string`);
    }
    return parseSelector(value);
}

export function stringList(value: unknown, field: string): string[] {
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
        throw new Error(`${field} is not a list of strings`);
    }
    return value as string[];
}

/** CIDRs of either family (a bare address is a single one) as one set; an IPv4 net matches IPv4 addresses, an IPv6 net IPv6 ones. */
export function netList(value: unknown, field: string): AddressSet | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    return addressBlocks(stringList(value, field), field);
}
