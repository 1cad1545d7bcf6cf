/**
 * Set difference on ConnectionSets, built on their public API so that netpol/ports.ts stays
 * untouched: first-match rule evaluation (Deny, Pass) needs "what is still undecided".
 */
import { ConnectionSet, protocols } from "../netpol/ports";

export function subtractConnections(from: ConnectionSet, remove: ConnectionSet): ConnectionSet {
    if (remove.isEmpty() || from.isEmpty()) {
        return from;
    }
    return protocols.reduce(
        (result, protocol) => result.union(ConnectionSet.of(protocol, from.ports(protocol).subtract(remove.ports(protocol)))),
        ConnectionSet.none,
    );
}
