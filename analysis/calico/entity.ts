/**
 * A Calico rule's `source` or `destination` (an EntityRule) as a predicate on a connection's
 * side. Pod IPs are unknown here, so `nets` match only External addresses and `notNets`
 * never exclude a pod.
 *
 * Scope of selectors: `namespaceSelector` restricts matches to pods in the selected namespaces
 * (`global()` selects none, as it means non-namespaced endpoints); without it, the selectors
 * (`selector`, `notSelector`, `serviceAccounts`) of a namespaced policy apply to the policy's own
 * namespace and those of a GlobalNetworkPolicy to every namespace. An empty entity matches
 * every peer, inside or outside the cluster.
 *
 * `services` (a Kubernetes Service as the peer, e.g. `default/kubernetes` for the API server)
 * matches no workload here: Service endpoints are not modelled, and ztmesh uses it only for the
 * API server, which runs outside the pod network.
 */
import * as ipaddr from "ipaddr.js";
import { matches, parseSelector, SelectorNode } from "../calicoSelector";
import { IntervalSet } from "../netpol/intervals";
import { ipBlockAddresses } from "../netpol/ipRanges";
import { RulePeer } from "./model";
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
    /** The address sets named, each on its own, for cutting External into ranges. */
    readonly nets: readonly IntervalSet[];
}

export function compileEntity(entity: EntityRule, namespace: string | undefined): CompiledEntity {
    if (entity.services !== undefined) {
        return { matches: () => false, podKeys: [], nets: [] };
    }
    if (entity.serviceAccounts?.selector !== undefined && entity.serviceAccounts.selector !== "") {
        throw new Error("serviceAccounts.selector is not supported (serviceAccounts.names is)");
    }
    const selector = optionalSelector(entity.selector, "selector");
    const notSelector = optionalSelector(entity.notSelector, "notSelector");
    const namespaceSelector = optionalSelector(entity.namespaceSelector, "namespaceSelector");
    const accounts = entity.serviceAccounts?.names === undefined ? undefined : stringList(entity.serviceAccounts.names, "serviceAccounts.names");
    const nets = netList(entity.nets, "nets");
    const notNets = netList(entity.notNets, "notNets");
    const selectsPods = selector !== undefined || namespaceSelector !== undefined || accounts !== undefined;

    const matchesPods = (peer: RulePeer & { kind: "pods" }): boolean => {
        const { identity } = peer;
        if (nets !== undefined) {
            return false;
        }
        if (namespaceSelector !== undefined && (namespaceSelector.kind === "global" || !matches(namespaceSelector, identity.calicoNamespaceLabels))) {
            return false;
        }
        const inScope = namespaceSelector !== undefined || namespace === undefined || identity.namespace === namespace;
        if (selector !== undefined && !(inScope && matches(selector, identity.calicoLabels))) {
            return false;
        }
        if (accounts !== undefined && !(inScope && accounts.includes(identity.serviceAccount))) {
            return false;
        }
        return !(notSelector !== undefined && inScope && matches(notSelector, identity.calicoLabels));
    };
    const matchesAddress = (address: number): boolean =>
        !selectsPods && (nets === undefined || nets.contains(address)) && !(notNets?.contains(address) ?? false);

    const scopedNamespace = namespaceSelector === undefined && (selector !== undefined || accounts !== undefined) ? namespace : undefined;
    const podKeys = nets !== undefined ? [] : calicoEntityKeys(selector, namespaceSelector, scopedNamespace);
    return {
        matches: (peer) => (peer.kind === "pods" ? matchesPods(peer) : matchesAddress(peer.address)),
        ...(podKeys === undefined ? {} : { podKeys }),
        nets: [nets, notNets].filter((set): set is IntervalSet => set !== undefined),
    };
}

function optionalSelector(value: unknown, field: string): SelectorNode | undefined {
    if (value === undefined || value === null || value === "") {
        return undefined;
    }
    if (typeof value !== "string") {
        throw new Error(`${field} is not a string`);
    }
    return parseSelector(value);
}

function stringList(value: unknown, field: string): string[] {
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
        throw new Error(`${field} is not a list of strings`);
    }
    return value as string[];
}

/** IPv4 CIDRs (a bare address is a /32) as one set; IPv6 entries match nothing here and are left out. */
function netList(value: unknown, field: string): IntervalSet | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    return stringList(value, field)
        .filter((net) => !ipaddr.IPv6.isValid(net.split("/")[0]))
        .map((net) => ipBlockAddresses({ cidr: net.includes("/") ? net : `${net}/32` }))
        .reduce((union, block) => union.union(block), IntervalSet.empty);
}
