/**
 * The explanation `ztmesh eval` prints under its verdict: how the peers given were mapped,
 * what layer 3/4 allows between them and which rules decided it (explain.ts, both directions,
 * Calico tiers and profiles included), and at a meshed destination which AuthorizationPolicies
 * admit the caller and which granted requests hold the one asked for. One function, so that a
 * fuller explainer of allowed and denied pairs can replace the sentences without touching the
 * command.
 */
import { flowExplainer } from "../explain";
import { formatGrants } from "../istio/format";
import { KubeObject } from "../manifests";
import { formatConnectionSet } from "../netpol/format";
import { escapeControl } from "../text/escape";
import { ConnectionQuery, Verdict } from "./evaluate";

/** The explanation's lines (without indentation or newlines) for verdicts under the policies of `objects`. */
export function verdictExplainer(objects: readonly KubeObject[]): (verdict: Verdict, query: ConnectionQuery) => string[] {
    const explainFlow = flowExplainer(objects);
    return (verdict, query) => {
        const { src, dst, flow } = verdict;
        const mapped = [src.via, dst.via].filter((via): via is string => via !== undefined).map(escapeControl);
        const allowedNow = flow === undefined ? "no connection" : escapeControl(formatConnectionSet(flow.allowed));
        const port = verdict.port === undefined ? ["the destination declares no container port of that name and protocol, so no connection matches it"] : [];
        const why = explainFlow(src.name, dst.name);
        return [
            ...mapped,
            `${escapeControl(src.name)} => ${escapeControl(dst.name)} allowed: ${allowedNow}`,
            ...port,
            ...(why.layer4 ? [why.layer4] : []),
            ...(why.layer7 ? [why.layer7] : []),
            ...requestLines(verdict, query).map(escapeControl),
        ];
    };
}

/**
 * Layer 7 at the destination: whether the request asked for is granted (and by which grants),
 * or, with no request asked, the requests granted; nothing where the pair has no connection.
 */
function requestLines({ dst, flow, request }: Verdict, query: ConnectionQuery): string[] {
    if (flow === undefined) {
        return [];
    }
    const ports = flow.allowed.ports("TCP");
    if (flow.l7 === undefined) {
        return query.request === undefined ? [] : [`no proxy enforces layer 7 policy at ${dst.name}: every request the connection carries passes`];
    }
    if (request === undefined) {
        return flow.l7.length === 0 ? [] : [`requests allowed at ${dst.name}: ${formatGrants(flow.l7, ports)}`];
    }
    if (request.admittedBy.length > 0) {
        return [`the request is allowed by: ${formatGrants(request.admittedBy, ports)}`];
    }
    return [
        `no request grant at ${dst.name} holds it; allowed: ${flow.l7.length === 0 ? "none" : formatGrants(flow.l7, ports)}`,
        ...(request.conditionallyBy.length > 0 ? [`only under conditions the manifests cannot decide (not counted): ${formatGrants(request.conditionallyBy, ports)}`] : []),
    ];
}
