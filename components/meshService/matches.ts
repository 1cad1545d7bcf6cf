import { HttpMatch } from "./types";

/**
 * An HttpMatch as an Istio `HTTPMatchRequest`. Istio's `prefix` is a string prefix, slightly
 * wider than Gateway API's segment-wise PathPrefix; the AuthorizationPolicy, which checks
 * segment-wise, keeps what is admitted exact.
 */
export function istioMatch(match: HttpMatch): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    if (match.path) {
        const kind = { Exact: "exact", PathPrefix: "prefix", RegularExpression: "regex" }[match.path.type];
        result.uri = { [kind]: match.path.value };
    }
    if (match.headers?.length) {
        result.headers = Object.fromEntries(
            match.headers.map((header) => [header.name.toLowerCase(), { [header.type === "RegularExpression" ? "regex" : "exact"]: header.value }]),
        );
    }
    if (match.method) {
        result.method = { exact: match.method };
    }
    return result;
}

/** An HttpMatch as a Gateway API `HTTPRouteMatch`. */
export function gatewayApiMatch(match: HttpMatch): Record<string, unknown> {
    return {
        ...(match.path ? { path: { type: match.path.type, value: match.path.value } } : {}),
        ...(match.headers?.length
            ? { headers: match.headers.map((header) => ({ type: header.type ?? "Exact", name: header.name, value: header.value })) }
            : {}),
        ...(match.method ? { method: match.method } : {}),
    };
}
