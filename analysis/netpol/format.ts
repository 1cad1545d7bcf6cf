/**
 * The analyzer's text output: one `SRC => DST : CONNECTIONS` line per allowed connection,
 * sorted by source, then destination (code-unit order, so `10.0.0.0-...` sorts before
 * `9.0.0.0-...` and `a-b/...` before `a/...`).
 */
import type { Connection } from "./connection";
import { Interval } from "./intervals";
import { Address, formatRange } from "./ipRanges";
import { ConnectionSet, protocols } from "./ports";
import { escapeControl } from "../text/escape";

/** `0.0.0.0-9.255.255.255[External]` or `::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]`: traffic from or to outside the cluster. */
export function externalName(range: Interval<Address>): string {
    return `${formatRange(range)}[External]`;
}

const allConnections = "All Connections";

/**
 * Each set's spelling but that of all connections, found once per set (sets are immutable):
 * connections between workloads of the same groups share one set, and the engines spell sets to
 * tell equal ones (evaluation states, rules' ports) apart. All connections is recognised without
 * a lookup, and not kept: pairs of groups that no policy isolates each have their own set,
 * millions in a large open cluster.
 */
const spellings = new WeakMap<ConnectionSet, string>();

/** `All Connections`, or the protocols in name order, each with its port ranges: `SCTP 1-65535,TCP 1-65535,UDP 1-52,54-65535`. */
export function formatConnectionSet(connections: ConnectionSet): string {
    if (connections.isAll()) {
        return allConnections;
    }
    let text = spellings.get(connections);
    if (text === undefined) {
        text = protocols
            .filter((protocol) => !connections.ports(protocol).isEmpty())
            .map((protocol) => `${protocol} ${connections.ports(protocol).intervals.map(formatPorts).join(",")}`)
            .join(",");
        spellings.set(connections, text);
    }
    return text;
}

function formatPorts(ports: Interval): string {
    return ports.start === ports.end ? String(ports.start) : `${ports.start}-${ports.end}`;
}

/** The whole listing, one line per connection, each ending in a newline. */
export function formatConnections(connections: readonly Connection[]): string {
    return Array.from(connectionLines(connections)).join("");
}

/**
 * The lines of `formatConnections` one at a time, for a listing too long to hold as one string
 * (each set spelled once, see formatConnectionSet).
 */
export function* connectionLines(connections: readonly Connection[]): Generator<string> {
    // Each name escaped once (escapeControl: no control character may forge a line), as each is on many lines.
    const escaped = new Map<string, string>();
    const printable = (name: string) => {
        let text = escaped.get(name);
        if (text === undefined) {
            text = escapeControl(name);
            escaped.set(name, text);
        }
        return text;
    };
    for (const connection of sortedByNames(connections)) {
        yield `${printable(connection.src.name)} => ${printable(connection.dst.name)} : ${formatConnectionSet(connection.allowed)}\n`;
    }
}

/**
 * Connections by source name, then destination name. The engines list them in that order
 * already, so one pass checks it and only another order is sorted (a copy).
 */
export function sortedByNames<T extends Pick<Connection, "src" | "dst">>(connections: readonly T[]): readonly T[] {
    const compare = (a: T, b: T) => compareNames(a.src.name, b.src.name) || compareNames(a.dst.name, b.dst.name);
    const inOrder = connections.every((connection, index) => index === 0 || compare(connections[index - 1], connection) <= 0);
    return inOrder ? connections : [...connections].sort(compare);
}

/** Code-unit order, the analyzer's (and `LC_ALL=C sort`'s); `localeCompare` would differ. */
export function compareNames(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}
