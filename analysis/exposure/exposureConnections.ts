/**
 * Connections towards peers that no workload of the input stands for ("any pod with these
 * labels", "the whole cluster"): a rule's named ports cannot be resolved there, as the pod that
 * would declare them is unknown, so they stay names (`TCP http,local-dns`), as netpol-analyzer
 * prints them. The engine's ConnectionSet holds port numbers only, hence this pair.
 */
import { ConnectionSet, ContainerPort, Protocol, protocols } from "../netpol/ports";
import { IntervalSet } from "../netpol/intervals";
import { formatConnectionSet } from "../netpol/format";
import { compareNames } from "../netpol/format";

type Names = ReadonlyMap<Protocol, ReadonlySet<string>>;

export class ExposureConnections {
    static readonly none = new ExposureConnections(ConnectionSet.none, new Map());
    static readonly all = new ExposureConnections(ConnectionSet.all, new Map());

    constructor(readonly ports: ConnectionSet, readonly names: Names) {}

    static named(protocol: Protocol, name: string): ExposureConnections {
        return new ExposureConnections(ConnectionSet.none, new Map([[protocol, new Set([name])]]));
    }

    union(other: ExposureConnections): ExposureConnections {
        const names = new Map<Protocol, Set<string>>();
        for (const source of [this.names, other.names]) {
            source.forEach((set, protocol) => names.set(protocol, new Set([...(names.get(protocol) ?? []), ...set])));
        }
        return new ExposureConnections(this.ports.union(other.ports), names);
    }

    isEmpty(): boolean {
        return this.ports.isEmpty() && [...this.names.values()].every((set) => set.size === 0);
    }

    equals(other: ExposureConnections): boolean {
        return this.format() === other.format();
    }

    /**
     * The named ports replaced by the port numbers of `containerPorts` that carry the name (under the
     * rule's protocol, as netpol-analyzer does for a destination's exposure to the whole cluster);
     * names the pod does not declare stay.
     */
    resolvedOn(containerPorts: readonly ContainerPort[]): ExposureConnections {
        let ports = this.ports;
        const names = new Map<Protocol, Set<string>>();
        this.names.forEach((set, protocol) => set.forEach((name) => {
            const declared = containerPorts.find((port) => port.name === name);
            if (declared) {
                ports = ports.union(ConnectionSet.of(protocol, IntervalSet.range(declared.port, declared.port)));
            } else {
                names.set(protocol, new Set([...(names.get(protocol) ?? []), name]));
            }
        }));
        return new ExposureConnections(ports, names);
    }

    /** Whether every port of `connection` (numbers only) is here. */
    contains(connection: ConnectionSet): boolean {
        return protocols.every((protocol) => connection.ports(protocol).subtract(this.ports.ports(protocol)).isEmpty());
    }

    /** `All Connections`, `No Connections`, or protocols in name order with port ranges, then names: `TCP 53,dns`. */
    format(): string {
        if (this.ports.isAll()) {
            return formatConnectionSet(this.ports);
        }
        if (this.isEmpty()) {
            return "No Connections";
        }
        return protocols.flatMap((protocol) => {
            const numbers = this.ports.ports(protocol).isEmpty() ? [] : [formatConnectionSet(ConnectionSet.of(protocol, this.ports.ports(protocol))).slice(protocol.length + 1)];
            const names = [...(this.names.get(protocol) ?? [])].sort(compareNames);
            const all = [...numbers, ...names];
            return all.length === 0 ? [] : [`${protocol} ${all.join(",")}`];
        }).join(",");
    }
}
