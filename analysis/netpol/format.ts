/**
 * The analyzer's text output: one `SRC => DST : CONNECTIONS` line per allowed connection,
 * sorted by source, then destination (code-unit order, so `10.0.0.0-...` sorts before
 * `9.0.0.0-...` and `a-b/...` before `a/...`).
 */
import type { Connection } from "./connection";
import { Interval } from "./intervals";
import { Address, formatRange } from "./ipRanges";
import { ConnectionSet, protocols } from "./ports";

/** `0.0.0.0-9.255.255.255[External]` or `::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]`: traffic from or to outside the cluster. */
export function externalName(range: Interval<Address>): string {
    return `${formatRange(range)}[External]`;
}

/** `All Connections`, or the protocols in name order, each with its port ranges: `SCTP 1-65535,TCP 1-65535,UDP 1-52,54-65535`. */
export function formatConnectionSet(connections: ConnectionSet): string {
    if (connections.isAll()) {
        return "All Connections";
    }
    return protocols
        .filter((protocol) => !connections.ports(protocol).isEmpty())
        .map((protocol) => `${protocol} ${connections.ports(protocol).intervals.map(formatPorts).join(",")}`)
        .join(",");
}

function formatPorts(ports: Interval): string {
    return ports.start === ports.end ? String(ports.start) : `${ports.start}-${ports.end}`;
}

/**
 * The whole listing, one line per connection, each ending in a newline. Connections between
 * workloads of the same groups share one ConnectionSet, so each set is spelled out once.
 */
export function formatConnections(connections: readonly Connection[]): string {
    const spelled = new Map<ConnectionSet, string>();
    const spell = (allowed: ConnectionSet) => {
        let text = spelled.get(allowed);
        if (text === undefined) {
            text = formatConnectionSet(allowed);
            spelled.set(allowed, text);
        }
        return text;
    };
    return [...connections]
        .sort((a, b) => compareNames(a.src.name, b.src.name) || compareNames(a.dst.name, b.dst.name))
        .map((connection) => `${connection.src.name} => ${connection.dst.name} : ${spell(connection.allowed)}\n`)
        .join("");
}

/** Code-unit order, the analyzer's (and `LC_ALL=C sort`'s); `localeCompare` would differ. */
export function compareNames(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}
