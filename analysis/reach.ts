/**
 * Reachability across policy layers: which workloads (and External address ranges) may reach
 * which, on which ports, and, where an Istio sidecar enforces AuthorizationPolicy, with which
 * requests.
 *
 *   Layer 3/4: Kubernetes NetworkPolicy alone (netpol/, np-guard's semantics and output), or,
 *              when Calico policies are present, Calico's ordered evaluation of Calico and
 *              Kubernetes policies together (calico/).
 *   Layer 7:   Istio AuthorizationPolicy and PeerAuthentication at meshed destinations (istio/).
 *
 * Without Calico or Istio objects the result is exactly netpol's `connectivity`.
 */
import { calicoConnectivity, isCalicoPolicy } from "./calico";
import { LayeredConnection, IstioLayer } from "./istio/evaluate";
import type { Grant } from "./istio/grants";
import { withGatewayDeployments } from "./istio/gatewayDeployments";
import { PublicRoute, publicRoutes } from "./istio/ingress";
import { KubeObject } from "./manifests";
import { connectivity } from "./netpol";
import type { Connection, Endpoint } from "./netpol/connection";
import { externalName } from "./netpol/format";
import { IntervalSet } from "./netpol/intervals";
import { clusterFromObjects } from "./netpol/workloads";
import { podDetailsByWorkload } from "./podDetails";

export type { Endpoint } from "./netpol/connection";
export type { ConnectionSet } from "./netpol/ports";
export type { Grant } from "./istio/grants";
export type { PublicRoute, RouteDestination } from "./istio/ingress";

/** An allowed flow: layer 3/4 connections, and the layer 7 grants (and notes) when a proxy enforces them. */
export interface Flow extends LayeredConnection {
    readonly l7?: readonly Grant[];
    readonly notes?: readonly string[];
}

export interface ReachOptions {
    /** Evaluate Istio (default true). */
    readonly istio?: boolean;
}

/**
 * Every allowed flow among the workloads in `objects` (and the gateway Deployments Istio
 * creates for Gateway API Gateways, see istio/gatewayDeployments.ts), ordered by source name,
 * then destination name. Throws on a malformed policy.
 */
export function reachability(given: readonly KubeObject[], options: ReachOptions = {}): Flow[] {
    const objects = withGatewayDeployments(given);
    const layer4: Connection[] = objects.some(isCalicoPolicy) ? calicoConnectivity(objects) : connectivity(objects);
    const istio = options.istio === false ? undefined : IstioLayer.of(objects, clusterFromObjects(objects), podDetailsByWorkload(objects));
    if (!istio) {
        return layer4;
    }
    return cutExternal(layer4, istio.addressBlocks()).flatMap((connection) => istio.apply(connection) ?? []);
}

/** The public routes (External → gateway → Service → workload) of `objects`, given their flows. */
export function publicFlows(objects: readonly KubeObject[], flows: readonly Flow[]): PublicRoute[] {
    return publicRoutes(withGatewayDeployments(objects), flows);
}

/**
 * Connections with External ranges split at every boundary of the address blocks Istio
 * policies name, so that each range lies wholly inside or outside each block (layer 4 allows
 * the same for all of a range, so each piece keeps its connections).
 */
function cutExternal(connections: readonly Connection[], blocks: readonly IntervalSet[]): readonly Connection[] {
    if (blocks.length === 0) {
        return connections;
    }
    const cuts = [...new Set(blocks.flatMap((block) => block.boundaries()))].sort((a, b) => a - b);
    const pieces = new Map<string, Endpoint[]>();
    const split = (endpoint: Endpoint): Endpoint[] => {
        if (endpoint.kind !== "external") {
            return [endpoint];
        }
        let result = pieces.get(endpoint.name);
        if (!result) {
            const { start, end } = endpoint.range;
            const inside = cuts.filter((cut) => cut > start && cut <= end);
            result = [start, ...inside].map((first, i) => {
                const range = { start: first, end: i < inside.length ? inside[i] - 1 : end };
                return { kind: "external", name: externalName(range), range };
            });
            pieces.set(endpoint.name, result);
        }
        return result;
    };
    return connections.flatMap((connection) => split(connection.src).flatMap((src) => split(connection.dst).map((dst) => ({ src, dst, allowed: connection.allowed }))));
}
