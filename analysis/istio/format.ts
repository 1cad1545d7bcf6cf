/**
 * Grants as text: `all requests`, or `;`-separated grants of methods then paths, such as
 * `GET,HEAD /reviews/*`, `* !DELETE /api/* !/api/admin*` (`*` any, `!x` except x), prefixed
 * with `TCP 9080:` when a grant does not cover every TCP port of its connection, followed by
 * `host a.example.com` when it holds only some hosts and `when <condition> and ...` when it
 * holds only under conditions on request data.
 */
import { IntervalSet } from "../netpol/intervals";
import { Grant, isAllRequests, isAnyValue, ValueSet } from "./grants";

export function formatGrants(grants: readonly Grant[], connectionPorts: IntervalSet): string {
    if (grants.length === 1 && isAllRequests(grants[0]) && grants[0].ports.equals(connectionPorts)) {
        return "all requests";
    }
    return grants.map((grant) => formatGrant(grant, connectionPorts)).sort().join("; ");
}

export function formatGrant(grant: Grant, connectionPorts: IntervalSet): string {
    const ports = grant.ports.equals(connectionPorts) ? "" : `TCP ${formatPortSet(grant.ports)}: `;
    const requests = isAnyValue(grant.methods) && isAnyValue(grant.paths) && isAnyValue(grant.hosts)
        ? "all requests"
        : `${formatSet(grant.methods)} ${formatSet(grant.paths)}${isAnyValue(grant.hosts) ? "" : ` host ${formatSet(grant.hosts)}`}`;
    return `${ports}${requests}${grant.when.length === 0 ? "" : ` when ${grant.when.join(" and ")}`}`;
}

/** `80,8080-8090`. */
export function formatPortSet(ports: IntervalSet): string {
    return ports.intervals.map((i) => (i.start === i.end ? `${i.start}` : `${i.start}-${i.end}`)).join(",");
}

function formatSet(set: ValueSet): string {
    const include = set.include === "*" ? "*" : set.include.join(",");
    return [include, ...set.exclude.map((value) => `!${value}`)].join(" ");
}
