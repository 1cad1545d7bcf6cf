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
import { KubeObject } from "./manifests";
import { connectivity } from "./netpol";
import type { Connection } from "./netpol/connection";
import { clusterFromObjects } from "./netpol/workloads";
import { checkOwnersPodsAlike } from "./ownerLabels";
import { podDetailsByWorkload } from "./podDetails";

export type { Endpoint } from "./netpol/connection";
export type { ConnectionSet } from "./netpol/ports";
export type { Grant } from "./istio/grants";

/** An allowed flow: layer 3/4 connections, and the layer 7 grants when a sidecar enforces them. */
export interface Flow extends LayeredConnection {
    readonly l7?: readonly Grant[];
}

export interface ReachOptions {
    /** Evaluate Istio (default true). */
    readonly istio?: boolean;
}

/** Every allowed flow among the workloads in `objects`, ordered by source name, then destination name. Throws on a malformed policy, and on pods of one owner that policies tell apart (ownerLabels.ts). */
export function reachability(objects: readonly KubeObject[], options: ReachOptions = {}): Flow[] {
    checkOwnersPodsAlike(objects);
    const layer4: Connection[] = objects.some(isCalicoPolicy) ? calicoConnectivity(objects) : connectivity(objects);
    const istio = options.istio === false ? undefined : IstioLayer.of(objects, clusterFromObjects(objects), podDetailsByWorkload(objects));
    if (!istio) {
        return layer4;
    }
    return layer4.flatMap((connection) => istio.apply(connection) ?? []);
}
