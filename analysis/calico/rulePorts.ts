/**
 * The connections a Calico rule covers: its `protocol` / `notProtocol` and its destination
 * `ports` / `notPorts` (numbers, `"first:last"` ranges and named ports, the last resolved
 * against the destination pod's container ports), and whether its source ports admit every
 * source port. Protocols other than TCP, UDP and SCTP (ICMP, UDPLite, ...) are not reported:
 * a rule for one of them covers none of the reported traffic.
 */
import { allPorts, compileRulePorts, ConnectionSet, NetworkPolicyPort, Protocol, protocols, RulePorts } from "../netpol/ports";
import { subtractConnections } from "./connectionSets";

export interface RuleProtocol {
    protocol?: unknown;
    notProtocol?: unknown;
}

const protocolNumbers: Record<string, Protocol> = { "6": "TCP", "17": "UDP", "132": "SCTP" };

/** The modelled protocol a Calico protocol value names, or undefined for one that is not modelled. */
function modelledProtocol(value: unknown): Protocol | undefined {
    const text = String(value);
    const upper = text.toUpperCase();
    if ((protocols as readonly string[]).includes(upper)) {
        return upper as Protocol;
    }
    return protocolNumbers[text];
}

function protocolConnections(rule: RuleProtocol): ConnectionSet {
    const all = (protocol: Protocol) => ConnectionSet.of(protocol, allPorts);
    let result = ConnectionSet.all;
    if (rule.protocol !== undefined && rule.protocol !== null) {
        const protocol = modelledProtocol(rule.protocol);
        result = protocol ? all(protocol) : ConnectionSet.none;
    }
    if (rule.notProtocol !== undefined && rule.notProtocol !== null) {
        const protocol = modelledProtocol(rule.notProtocol);
        result = protocol ? subtractConnections(result, all(protocol)) : result;
    }
    return result;
}

export function compileConnections(rule: RuleProtocol, ports: unknown[] | undefined, notPorts: unknown[] | undefined): RulePorts {
    const base = protocolConnections(rule);
    const hasPorts = (ports ?? []).length > 0;
    const hasNotPorts = (notPorts ?? []).length > 0;
    if (!hasPorts && !hasNotPorts) {
        return () => base;
    }
    const protocol = rule.protocol === undefined || rule.protocol === null ? undefined : modelledProtocol(rule.protocol);
    if (protocol === undefined) {
        if (rule.protocol === undefined || rule.protocol === null) {
            throw new Error("ports and notPorts need the rule's protocol to be TCP, UDP or SCTP");
        }
        return () => ConnectionSet.none; // a port-carrying protocol that is not modelled (UDPLite)
    }
    const included = hasPorts ? compileRulePorts(ports!.map((port) => portEntry(port, protocol))) : () => base;
    const excluded = hasNotPorts ? compileRulePorts(notPorts!.map((port) => portEntry(port, protocol))) : () => ConnectionSet.none;
    return (destinationPorts) => subtractConnections(included(destinationPorts).intersect(base), excluded(destinationPorts));
}

/** `80`, `"80"`, `"80:90"` or a port name. */
function portEntry(port: unknown, protocol: Protocol): NetworkPolicyPort {
    if (typeof port === "number") {
        return { protocol, port };
    }
    if (typeof port !== "string" || port === "") {
        throw new Error(`port ${JSON.stringify(port)} is not a number, a range or a name`);
    }
    const range = /^(\d+)(?::(\d+))?$/.exec(port);
    if (!range) {
        return { protocol, port };
    }
    return { protocol, port: Number(range[1]), endPort: range[2] === undefined ? undefined : Number(range[2]) };
}

/**
 * Whether a rule's `source.ports` / `notPorts` admit every source port of the traffic its
 * protocol covers (or are absent). Named source ports would name the source's own container
 * ports, which a client does not send from, so they count as some ports only.
 */
export function ruleCoversEverySourcePort(rule: RuleProtocol, ports: unknown[] | undefined, notPorts: unknown[] | undefined): boolean {
    if ((ports ?? []).length === 0 && (notPorts ?? []).length === 0) {
        return true;
    }
    const covered = compileConnections(rule, ports, notPorts)([]);
    const base = protocolConnections(rule);
    return protocols.every((protocol) => covered.ports(protocol).equals(base.ports(protocol)));
}
