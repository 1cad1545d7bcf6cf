/**
 * Allowed connections as port sets per protocol, and the `ports` of a NetworkPolicy rule
 * compiled into them (numbers, `endPort` ranges, and named ports looked up in the
 * destination pod's container ports).
 */
import { IntervalSet } from "./intervals";

/** In the order the analyzer prints them. */
export const protocols = ["SCTP", "TCP", "UDP"] as const;
export type Protocol = (typeof protocols)[number];

export const allPorts: IntervalSet = IntervalSet.range(1, 65535);

/** A port a container declares; named ones are what named rule ports refer to. */
export interface ContainerPort {
    readonly name?: string;
    readonly port: number;
    readonly protocol: Protocol;
}

/** For each protocol, the destination ports a connection may use. Immutable. */
export class ConnectionSet {
    static readonly none = new ConnectionSet({ SCTP: IntervalSet.empty, TCP: IntervalSet.empty, UDP: IntervalSet.empty });
    static readonly all = new ConnectionSet({ SCTP: allPorts, TCP: allPorts, UDP: allPorts });

    private constructor(private readonly byProtocol: Readonly<Record<Protocol, IntervalSet>>) {}

    static of(protocol: Protocol, ports: IntervalSet): ConnectionSet {
        return new ConnectionSet({ ...ConnectionSet.none.byProtocol, [protocol]: ports.intersect(allPorts) });
    }

    ports(protocol: Protocol): IntervalSet {
        return this.byProtocol[protocol];
    }

    union(other: ConnectionSet): ConnectionSet {
        return this.combine(other, (a, b) => a.union(b));
    }

    intersect(other: ConnectionSet): ConnectionSet {
        return this.combine(other, (a, b) => a.intersect(b));
    }

    isEmpty(): boolean {
        return protocols.every((protocol) => this.byProtocol[protocol].isEmpty());
    }

    isAll(): boolean {
        return protocols.every((protocol) => this.byProtocol[protocol].equals(allPorts));
    }

    private combine(other: ConnectionSet, operation: (a: IntervalSet, b: IntervalSet) => IntervalSet): ConnectionSet {
        const [sctp, tcp, udp] = protocols.map((protocol) => operation(this.byProtocol[protocol], other.byProtocol[protocol]));
        return new ConnectionSet({ SCTP: sctp, TCP: tcp, UDP: udp });
    }
}

/** Kubernetes' protocol field: absent means TCP. */
export function parseProtocol(value: unknown): Protocol {
    const protocol = value ?? "TCP";
    if (!protocols.includes(protocol as Protocol)) {
        throw new Error(`unknown protocol ${JSON.stringify(value)} (expected one of ${protocols.join(", ")})`);
    }
    return protocol as Protocol;
}

/**
 * The connections a rule's `ports` allow towards a destination with the given container ports
 * (none for an address outside the cluster, where a named port means nothing).
 */
export type RulePorts = (destinationPorts: readonly ContainerPort[]) => ConnectionSet;

/** An entry of a rule's `ports`, as written. */
export interface NetworkPolicyPort {
    protocol?: unknown;
    port?: unknown;
    endPort?: unknown;
}

/**
 * Compiles a rule's `ports` list. An empty or absent list allows every port; an entry without
 * `port` allows every port of its protocol; a named port allows the port of the destination's
 * container port with that name *and* protocol, and nothing when there is none. Rules without
 * named ports (the usual case) compile to a constant, so evaluation does no work per pod.
 */
export function compileRulePorts(ports: readonly NetworkPolicyPort[] | undefined): RulePorts {
    if (!ports || ports.length === 0) {
        return () => ConnectionSet.all;
    }
    const numbered = ports.filter((entry) => typeof entry.port !== "string").map(numberedConnections).reduce((a, b) => a.union(b), ConnectionSet.none);
    const named = ports.filter((entry) => typeof entry.port === "string").map((entry) => ({ name: entry.port as string, protocol: parseProtocol(entry.protocol) }));
    if (named.length === 0) {
        return () => numbered;
    }
    return (destinationPorts) => {
        let result = numbered;
        for (const { name, protocol } of named) {
            const found = destinationPorts.find((port) => port.name === name && port.protocol === protocol);
            if (found) {
                result = result.union(ConnectionSet.of(protocol, IntervalSet.range(found.port, found.port)));
            }
        }
        return result;
    };
}

function numberedConnections(entry: NetworkPolicyPort): ConnectionSet {
    const protocol = parseProtocol(entry.protocol);
    if (entry.port === undefined || entry.port === null) {
        return ConnectionSet.of(protocol, allPorts);
    }
    const start = portNumber(entry.port, "port");
    const end = entry.endPort === undefined || entry.endPort === null ? start : portNumber(entry.endPort, "endPort");
    return ConnectionSet.of(protocol, IntervalSet.range(start, end));
}

function portNumber(value: unknown, field: string): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
        throw new Error(`${field} ${JSON.stringify(value)} is not a port number (1-65535)`);
    }
    return value;
}
