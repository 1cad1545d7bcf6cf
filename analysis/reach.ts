/**
 * Reachability across policy layers: which workloads (and External address ranges) may reach
 * which, on which ports, and, where an Istio sidecar enforces AuthorizationPolicy, with which
 * requests.
 *
 *   Layer 3/4: Kubernetes NetworkPolicy alone (netpol/, np-guard's semantics and output), or,
 *              when Calico objects are present, Calico's tiers, policies and profiles with the
 *              Kubernetes policies among them (calico/).
 *   Layer 7:   Istio AuthorizationPolicy and PeerAuthentication at meshed destinations (istio/):
 *              at sidecars, or in ambient mode at the destination's ztunnel (Layer 4) and the
 *              waypoint of its Service (Layer 7), see istio/ambient.ts.
 *
 * Without Calico or Istio objects the result is exactly netpol's `connectivity`.
 */
import { calicoConnectivity, hasCalicoObjects, TieredConnection } from "./calico";
import { LayeredConnection, IstioLayer } from "./istio/evaluate";
import { AmbientLayer, hasAmbientWorkloads, withWaypointWorkloads } from "./istio/ambient";
import type { Grant } from "./istio/grants";
import { KubeObject } from "./manifests";
import { connectivity } from "./netpol";
import { clusterFromObjects } from "./netpol/workloads";
import { checkOwnersPodsAlike } from "./ownerLabels";
import { podDetailsByWorkload } from "./podDetails";

export type { Endpoint } from "./netpol/connection";
export type { ConnectionSet } from "./netpol/ports";
export type { Grant } from "./istio/grants";

/**
 * An allowed flow: layer 3/4 connections, and the layer 7 grants when a sidecar or ambient
 * mesh enforces them; in ambient mode also which enforcement points admitted it.
 */
export interface Flow extends LayeredConnection {
    readonly l7?: readonly Grant[];
    /** What the listing cannot decide, e.g. the HTTP requests a Calico rule matches. */
    readonly notes?: readonly string[];
    /** Ambient mode: the enforcement points that admitted the flow. */
    readonly enforcedBy?: readonly string[];
}

export interface ReachOptions {
    /** Evaluate Istio (default true). */
    readonly istio?: boolean;
}

/** Every allowed flow among the workloads in `objects`, ordered by source name, then destination name. Throws on a malformed policy, and on pods of one owner that policies tell apart (ownerLabels.ts). */
export function reachability(objects: readonly KubeObject[], options: ReachOptions = {}): Flow[] {
    checkOwnersPodsAlike(objects);
    // Ambient mode: waypoints' pods exist only once istiod deploys them, so the analysis adds them.
    const ambientMode = hasAmbientWorkloads(objects);
    const analysed = ambientMode ? withWaypointWorkloads(objects) : objects;
    const layer4: TieredConnection[] = hasCalicoObjects(analysed) ? calicoConnectivity(analysed) : connectivity(analysed);
    if (options.istio === false) {
        return layer4;
    }
    const cluster = clusterFromObjects(analysed);
    const details = podDetailsByWorkload(analysed);
    const istio = IstioLayer.of(analysed, cluster, details);
    const flows: Flow[] = istio
        ? layer4.flatMap((connection) => {
            const flow = istio.apply(connection);
            return flow === undefined ? [] : connection.notes ? [{ ...flow, notes: connection.notes }] : [flow];
        })
        : layer4;
    const ambient = ambientMode ? AmbientLayer.of(analysed, cluster, details) : undefined;
    return ambient ? ambient.apply(flows) : flows;
}
