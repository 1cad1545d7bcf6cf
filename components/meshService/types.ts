import * as pulumi from "@pulumi/pulumi";
import { WorkloadIdentity } from "../identity";

/** Application protocol of a port, as Istio and `appProtocol` name it. */
export type PortProtocol = "http" | "http2" | "grpc" | "tcp";
export const portProtocols: readonly PortProtocol[] = ["http", "http2", "grpc", "tcp"];

/** One port a service serves. */
export interface ServicePort {
    /** Unique per service; an IANA service name (≤ 15 characters, e.g. `http`, `metrics`). */
    name: string;
    /** The Service port. */
    port: number;
    /** The container port. Default: `port`. */
    targetPort?: number;
    /** Default: `http`. Methods and paths in caller rules need an HTTP-family protocol. */
    protocol?: PortProtocol;
    /** A metrics endpoint: only the monitoring identity may reach it, never a caller. Default: false. */
    metrics?: boolean;
}

/**
 * Another service's address: who it is and what it serves. A `MeshService` exposes its own as
 * `endpoint`; `meshEndpoint()` computes one from a declaration before any resource exists, so
 * services that call each other can refer to each other.
 */
export interface MeshEndpoint extends WorkloadIdentity {
    /** The Service's cluster DNS name, `<name>.<namespace>.svc.cluster.local`. */
    host: string;
    ports: ServicePort[];
    /** Ambient mode: the waypoint in front of the service, which callers reach instead of its pods. */
    waypoint?: WorkloadIdentity;
}

/** How one HTTP request is matched. All fields of one match must hold (AND); a list of matches is OR. */
export interface HttpMatch {
    /** Path match. `PathPrefix` matches whole segments (`/api` matches `/api/x`, not `/apix`). */
    path?: { type: "Exact" | "PathPrefix" | "RegularExpression"; value: string };
    /** Header matches, all of which must hold. Default type: `Exact`. */
    headers?: { name: string; value: string; type?: "Exact" | "RegularExpression" }[];
    /** HTTP method, e.g. `GET`. */
    method?: string;
}

/** Retry policy of an in-mesh route. */
export interface RetryPolicy {
    attempts: number;
    /** e.g. `2s`. */
    perTryTimeout?: string;
    /** Envoy retry conditions. Default: Istio's (`connect-failure,refused-stream,unavailable,cancelled,503`). */
    retryOn?: string;
}

/** One in-mesh route of the VirtualService, tried in declaration order. */
export interface MeshRoute {
    /** Default: every request. */
    matches?: HttpMatch[];
    /** Weight per version name for this route. Default: the versions' weights. */
    weights?: Record<string, number>;
    /** e.g. `10s`. Default: none. */
    timeout?: string;
    retries?: RetryPolicy;
    /** Rewrite the path (prefix) before forwarding. */
    rewrite?: { uri?: string; authority?: string };
}

/** One route from the public gateway to this service. */
export interface PublicRoute {
    /** Default: every path (`PathPrefix /`). */
    matches?: HttpMatch[];
    /** URLRewrite: replace the matched path prefix (needs PathPrefix matches) and/or the Host header. */
    rewrite?: { pathPrefix?: string; hostname?: string };
    /** Weight per version name for this route. Default: the versions' weights. */
    weights?: Record<string, number>;
}

/** Exposure through the MeshGateway. */
export interface PublicExposure {
    /** A hostname the MeshGateway has an HTTPS listener for. */
    hostname: string;
    /** The port that receives public traffic. Default: the first non-metrics HTTP port. */
    port?: string;
    routes?: PublicRoute[];
}

/** One version of the workload: a Deployment of its own, a subset, and a canary weight. */
export interface ServiceVersion {
    /** e.g. `v1`; becomes the pod label `version`. */
    name: string;
    image: pulumi.Input<string>;
    /** Default: 1. */
    replicas?: number;
    /**
     * Share of traffic, 0–100. Default: an equal split (remainder to the first version).
     * When set on any version, the weights must add up to 100.
     */
    weight?: number;
    env?: Record<string, pulumi.Input<string>>;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/** Who may call this service, on which ports, with which HTTP methods and paths. */
export interface CallerRule {
    /** The caller's identity (e.g. another MeshService's `endpoint`). */
    from: WorkloadIdentity;
    /** Port names. Default: every non-metrics port. */
    ports?: string[];
    /** HTTP methods, e.g. `["GET"]`. Default: any. */
    methods?: string[];
    /** HTTP paths as AuthorizationPolicy matches them (exact, `prefix*`, `*suffix`). Default: any. */
    paths?: string[];
}

/** A service this one calls. */
export interface Dependency {
    to: MeshEndpoint;
    /** Port names of `to`. Default: every non-metrics port. */
    ports?: string[];
}

/** Traffic policy of the DestinationRule. */
export interface TrafficPolicy {
    /** Default: `LEAST_REQUEST`. A `consistentHashHeader` pins clients by that header. */
    loadBalancer?: "ROUND_ROBIN" | "LEAST_REQUEST" | "RANDOM" | { consistentHashHeader: string };
    connectionPool?: {
        maxConnections?: number;
        connectTimeout?: string;
        http1MaxPendingRequests?: number;
        http2MaxRequests?: number;
        maxRequestsPerConnection?: number;
    };
    outlierDetection?: {
        consecutive5xxErrors?: number;
        interval?: string;
        baseEjectionTime?: string;
        maxEjectionPercent?: number;
    };
    /** In-mesh routes of the VirtualService. Default: one route carrying the versions' weights. */
    routes?: MeshRoute[];
}
