/**
 * Grants as text: `all requests`, or `;`-separated grants of methods then paths, such as
 * `GET,HEAD /reviews/*`, `* !DELETE /api/* !/api/admin*` (`*` any, `!x` except x), prefixed
 * with `TCP 9080:` when a grant does not cover every TCP port of its connection.
 */
import { IntervalSet } from "../netpol/intervals";
import { Grant, isAllRequests, ValueSet } from "./grants";

export function formatGrants(grants: readonly Grant[], connectionPorts: IntervalSet): string {
    if (grants.length === 1 && isAllRequests(grants[0]) && grants[0].ports.equals(connectionPorts)) {
        return "all requests";
    }
    return grants.map((grant) => formatGrant(grant, connectionPorts)).sort().join("; ");
}

function formatGrant(grant: Grant, connectionPorts: IntervalSet): string {
    const ports = grant.ports.equals(connectionPorts) ? "" : `TCP ${grant.ports.intervals.map((i) => (i.start === i.end ? `${i.start}` : `${i.start}-${i.end}`)).join(",")}: `;
    return `${ports}${isAllRequests(grant) ? "all requests" : `${formatSet(grant.methods)} ${formatSet(grant.paths)}`}`;
}

function formatSet(set: ValueSet): string {
    const include = set.include === "*" ? "*" : set.include.join(",");
    return [include, ...set.exclude.map((value) => `!${value}`)].join(" ");
}
