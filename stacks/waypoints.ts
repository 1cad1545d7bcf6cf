import { layer7Needs } from "../components";
import { Environment } from "./schema";

/**
 * The waypoints of an ambient environment and the service each one fronts: one per namespace
 * (named `waypoint`) for the services there that need Layer 7, and one of its own
 * (`<service>-waypoint`) for each service listed in `istio.dedicatedWaypoints`. Services that
 * need Layer 4 only get none: ztunnel alone enforces their policy. Empty in sidecar mode.
 * `make` describes one waypoint; the result keys them by `namespace/name`.
 */
export function serviceWaypoints<W>(env: Environment, make: (namespace: string, name: string) => W): { waypoints: Record<string, W>; byService: Record<string, W> } {
    const waypoints: Record<string, W> = {};
    const byService: Record<string, W> = {};
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
        waypoints[key] ??= make(svc.namespace, name);
        byService[svc.name] = waypoints[key];
    }
    return { waypoints, byService };
}
