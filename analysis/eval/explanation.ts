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
        const request = verdict.request;
        const l7 = request === undefined
            ? query.request !== undefined && flow !== undefined && flow.l7 === undefined ? [`no proxy enforces layer 7 policy at ${escapeControl(dst.name)}: every request the connection carries passes`]
            : flow?.l7 !== undefined && flow.l7.length > 0 ? [`requests allowed at ${escapeControl(dst.name)}: ${escapeControl(formatGrants(flow.l7, flow.allowed.ports("TCP")))}`] : []
            : [
                request.admittedBy.length > 0
                    ? `the request is allowed by: ${escapeControl(formatGrants(request.admittedBy, flow!.allowed.ports("TCP")))}`
                    : `no request grant at ${escapeControl(dst.name)} holds it; allowed: ${flow!.l7!.length === 0 ? "none" : escapeControl(formatGrants(flow!.l7!, flow!.allowed.ports("TCP")))}`,
                ...(request.conditionallyBy.length > 0 && request.admittedBy.length === 0 ? [`only under conditions the manifests cannot decide (not counted): ${escapeControl(formatGrants(request.conditionallyBy, flow!.allowed.ports("TCP")))}`] : []),
            ];
        return [
            ...mapped,
            `${escapeControl(src.name)} => ${escapeControl(dst.name)} allowed: ${allowedNow}`,
            ...port,
            ...(why.layer4 ? [why.layer4] : []),
            ...(why.layer7 ? [why.layer7] : []),
            ...l7,
        ];
    };
}
