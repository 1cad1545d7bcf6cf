/**
 * Reachability across policy layers: which workloads (and External address ranges) may reach
 * which, on which ports, and, where an Istio sidecar enforces AuthorizationPolicy, with which
 * requests.
 *
 *   Layer 3/4: Kubernetes NetworkPolicy and ClusterNetworkPolicy (netpol/ and clusterPolicy/,
 *              np-guard's semantics and output), or, when Calico objects are present, Calico's
 *              tiers, policies and profiles with the Kubernetes policies among them (calico/;
 *              ClusterNetworkPolicies in its kube-admin and kube-baseline tiers).
 *   Layer 7:   Istio AuthorizationPolicy and PeerAuthentication at meshed destinations (istio/):
 *              at sidecars, or in ambient mode at the destination's ztunnel (Layer 4) and the
 *              waypoint of its Service (Layer 7), see istio/ambient.ts.
 *
 * Without Calico or Istio objects the result is exactly netpol's `connectivity`.
 */
import { calicoConnectivity, TieredConnection } from "./calico";
import { LayeredConnection, IstioLayer } from "./istio/evaluate";
import { AmbientLayer, hasAmbientWorkloads, withWaypointWorkloads } from "./istio/ambient";
import type { Grant } from "./istio/grants";
import { withGatewayDeployments } from "./istio/gatewayDeployments";
import { PublicRoute, publicRoutes } from "./istio/ingress";
import { KubeObject } from "./manifests";
import { connectivity } from "./netpol";
import type { Connection, Endpoint } from "./netpol/connection";
import { externalName } from "./netpol/format";
import { AddressSet, externalRanges } from "./netpol/ipRanges";
import { clusterModel } from "./model/cluster";
import { asEnforcedObjects } from "./enforcement/asEnforced";
import { checkOwnersPodsAlike } from "./ownerLabels";

export type { Endpoint } from "./netpol/connection";
export type { ConnectionSet } from "./netpol/ports";
export type { Grant } from "./istio/grants";
export type { PublicRoute, RouteDestination } from "./istio/ingress";

/**
 * An allowed flow: layer 3/4 connections, and the layer 7 grants when a sidecar or ambient
 * mesh enforces them; in ambient mode also which enforcement points admitted it.
 */
export interface Flow extends LayeredConnection {
    readonly l7?: readonly Grant[];
    /** What the listing cannot decide: the HTTP requests a Calico rule matches, DENY rules that apply only to some requests. */
    readonly notes?: readonly string[];
    /** Ambient mode: the enforcement points that admitted the flow. */
    readonly enforcedBy?: readonly string[];
}

export interface ReachOptions {
    /** Evaluate Istio (default true). */
    readonly istio?: boolean;
    /**
     * List the IPv6 External space even where no policy names an IPv6 block (by default it is
     * listed only then): a diff compares with another input whose policies do.
     */
    readonly withIpv6?: boolean;
    /**
     * Evaluate the as-enforced view (enforcement/asEnforced.ts): staged Calico policies as the
     * policies they stage, dry-run AuthorizationPolicies as enforced. By default (false) both
     * enforce nothing, as in the cluster.
     */
    readonly asEnforced?: boolean;
}

/**
 * Every allowed flow among the workloads in `objects` (and the gateway Deployments Istio
 * creates for Gateway API Gateways, see istio/gatewayDeployments.ts; in ambient mode the
 * waypoints' pods, which istiod deploys), ordered by source name, then destination name.
 * Throws on a malformed policy, and on pods of one owner that policies tell apart
 * (ownerLabels.ts).
 */
export function reachability(given: readonly KubeObject[], options: ReachOptions = {}): Flow[] {
    checkOwnersPodsAlike(given);
    const objects = analysedObjects(options.asEnforced === true ? asEnforcedObjects(given) : given);
    const ambientMode = hasAmbientWorkloads(objects);
    // One model for every layer (model/cluster.ts).
    const model = clusterModel(objects);
    const istio = options.istio === false ? undefined : IstioLayer.of(model);
    const blocks = istio?.addressBlocks() ?? [];
    // Istio's IPv6 blocks cut the IPv6 External space, which layer 4 then lists even where no NetworkPolicy names IPv6.
    const layer4Options = { withIpv6: options.withIpv6 === true || blocks.some((block) => !block.v6.isEmpty()) };
    const layer4: TieredConnection[] = model.hasCalicoObjects ? calicoConnectivity(model, layer4Options) : connectivity(model, layer4Options);
    if (options.istio === false) {
        return layer4;
    }
    const flows: Flow[] = istio
        ? cutExternal(layer4, blocks).flatMap((connection) => {
            const flow = istio.apply(connection);
            if (flow === undefined) {
                return [];
            }
            // Layer 4 notes (Calico http matches, source ports) come before the proxy's.
            return connection.notes ? [{ ...flow, notes: [...connection.notes, ...(flow.notes ?? [])] }] : [flow];
        })
        : layer4;
    const ambient = ambientMode ? AmbientLayer.of(model) : undefined;
    return ambient ? ambient.apply(flows) : flows;
}

/**
 * The objects as `reachability` evaluates them: those given, the gateway Deployments Istio
 * creates for Gateway API Gateways, and in ambient mode the waypoints' pods.
 */
export function analysedObjects(given: readonly KubeObject[]): readonly KubeObject[] {
    const withGateways = withGatewayDeployments(given);
    return hasAmbientWorkloads(withGateways) ? withWaypointWorkloads(withGateways) : withGateways;
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
function cutExternal<C extends Connection>(connections: readonly C[], blocks: readonly AddressSet[]): readonly C[] {
    if (blocks.length === 0) {
        return connections;
    }
    const ranges = externalRanges(blocks, true);
    const pieces = new Map<string, Endpoint[]>();
    const split = (endpoint: Endpoint): Endpoint[] => {
        if (endpoint.kind !== "external") {
            return [endpoint];
        }
        let result = pieces.get(endpoint.name);
        if (!result) {
            const { start, end } = endpoint.range;
            result = ranges
                .filter((piece) => typeof piece.start === typeof start && piece.start <= end && piece.end >= start)
                .map((piece) => {
                    const range = { start: piece.start > start ? piece.start : start, end: piece.end < end ? piece.end : end };
                    return { kind: "external", name: externalName(range), range };
                });
            pieces.set(endpoint.name, result);
        }
        return result;
    };
    return connections.flatMap((connection) => split(connection.src).flatMap((src) => split(connection.dst).map((dst) => ({ ...connection, src, dst }))));
}
