import { Waypoint, layer7Needs } from "../components";
import { Environment } from "./schema";

/**
 * The waypoints of an ambient environment and the service each one fronts: one per namespace
 * (named `waypoint`) for the services there that need Layer 7, and one of its own
 * (`<service>-waypoint`) for each service listed in `istio.dedicatedWaypoints`. Services that
 * need Layer 4 only get none: ztunnel alone enforces their policy. Empty in sidecar mode.
 * `create` makes one Waypoint; the result keys them by `namespace/name`.
 */
export function serviceWaypoints(env: Environment, create: (namespace: string, name: string) => Waypoint): { waypoints: Record<string, Waypoint>; byService: Record<string, Waypoint> } {
    const waypoints: Record<string, Waypoint> = {};
    const byService: Record<string, Waypoint> = {};
    if (env.istio?.dataplaneMode !== "ambient") {
        return { waypoints, byService };
    }
    const dedicated = new Set(env.istio.dedicatedWaypoints ?? []);
    for (const svc of env.services) {
        if (!dedicated.has(svc.name) && layer7Needs(svc).length === 0) {
            continue;
        }
        const name = dedicated.has(svc.name) ? `${svc.name}-waypoint` : "waypoint";
        const key = `${svc.namespace}/${name}`;
        waypoints[key] ??= create(svc.namespace, name);
        byService[svc.name] = waypoints[key];
    }
    return { waypoints, byService };
}
