import { MeshServiceArgs } from "./args";
import { istioMatch } from "./matches";
import { MeshEndpoint, MeshRoute, TrafficPolicy } from "./types";
import { versionWeights } from "./weights";

function loadBalancer(policy: TrafficPolicy["loadBalancer"] = "LEAST_REQUEST") {
    return typeof policy === "string" ? { simple: policy } : { consistentHash: { httpHeaderName: policy.consistentHashHeader } };
}

/**
 * DestinationRule: Istio mutual TLS to every subset (never plain text inside the mesh), the
 * load balancer, connection pool and outlier detection, and one subset per version.
 */
export function destinationRuleSpec(endpoint: MeshEndpoint, args: MeshServiceArgs) {
    const traffic = args.traffic ?? {};
    const pool = traffic.connectionPool;
    const trafficPolicy: Record<string, unknown> = {
        tls: { mode: "ISTIO_MUTUAL" },
        loadBalancer: loadBalancer(traffic.loadBalancer),
    };
    if (pool) {
        const tcp = { maxConnections: pool.maxConnections, connectTimeout: pool.connectTimeout };
        const http = {
            http1MaxPendingRequests: pool.http1MaxPendingRequests,
            http2MaxRequests: pool.http2MaxRequests,
            maxRequestsPerConnection: pool.maxRequestsPerConnection,
        };
        trafficPolicy.connectionPool = JSON.parse(JSON.stringify({ tcp, http }));
    }
    if (traffic.outlierDetection) {
        trafficPolicy.outlierDetection = { ...traffic.outlierDetection };
    }
    return {
        host: endpoint.host,
        trafficPolicy,
        ...(args.versions?.length
            ? { subsets: args.versions.map((version) => ({ name: version.name, labels: { version: version.name } })) }
            : {}),
    };
}

/** The destinations of a route: one per version subset with its weight, or the plain host. */
export function weightedDestinations(endpoint: MeshEndpoint, args: MeshServiceArgs, weights?: Record<string, number>, port?: number) {
    const destination = (subset?: string) => ({ host: endpoint.host, ...(subset ? { subset } : {}), ...(port ? { port: { number: port } } : {}) });
    if (!args.versions?.length) {
        return [{ destination: destination() }];
    }
    const shares = weights ?? versionWeights(args.versions);
    return args.versions.map((version) => ({ destination: destination(version.name), weight: shares[version.name] ?? 0 }));
}

function httpRoute(endpoint: MeshEndpoint, args: MeshServiceArgs, route: MeshRoute) {
    return {
        ...(route.matches?.length ? { match: route.matches.map(istioMatch) } : {}),
        ...(route.rewrite ? { rewrite: { ...route.rewrite } } : {}),
        route: weightedDestinations(endpoint, args, route.weights),
        ...(route.timeout ? { timeout: route.timeout } : {}),
        ...(route.retries ? { retries: { ...route.retries } } : {}),
    };
}

/** In-mesh VirtualService: the declared routes in order (matches, weights, retries, timeouts, rewrites). */
export function virtualServiceSpec(endpoint: MeshEndpoint, args: MeshServiceArgs) {
    const routes = args.traffic?.routes?.length ? args.traffic.routes : [{}];
    return {
        hosts: [endpoint.host],
        http: routes.map((route) => httpRoute(endpoint, args, route)),
    };
}
