import { CallerRule, Dependency, MeshEndpoint, MeshServiceArgs, WaypointAttachment, meshEndpoint } from "../components";
import { ServiceConfig } from "./schema";

/**
 * Translates the services of the config into MeshService arguments. Each flow is declared
 * once, on the callee (`callers`); the caller's egress (`dependencies`) is derived from it, so
 * the two ends of a flow cannot disagree. `waypoints` (ambient mode) names the waypoint in
 * front of each service that has one; its callers then send their traffic there.
 */
export function meshServiceArgs(
    services: readonly ServiceConfig[],
    waypoints: Readonly<Record<string, WaypointAttachment>> = {},
): Record<string, Omit<MeshServiceArgs, "gateway" | "monitoring" | "trustDomain" | "revision" | "dataplaneMode">> {
    const endpoints: Record<string, MeshEndpoint> = Object.fromEntries(services.map((svc) => [svc.name, meshEndpoint(svc.name, { ...svc, waypoint: waypoints[svc.name] })]));
    const dependencies = derivedDependencies(services, endpoints);
    return Object.fromEntries(services.map((svc) => {
        const callers: CallerRule[] = (svc.callers ?? []).map((caller) => ({
            from: endpoints[caller.service],
            ports: caller.ports,
            methods: caller.methods,
            paths: caller.paths,
        }));
        return [svc.name, {
            namespace: svc.namespace,
            serviceAccount: svc.serviceAccount,
            ports: svc.ports,
            versions: svc.versions,
            existingWorkload: svc.existingWorkload,
            callers,
            dependencies: dependencies[svc.name],
            public: svc.public,
            traffic: svc.traffic,
            waypoint: waypoints[svc.name],
        }];
    }));
}

/** For every service, the services that list it as a caller, with the ports they admit it on. */
function derivedDependencies(services: readonly ServiceConfig[], endpoints: Record<string, MeshEndpoint>): Record<string, Dependency[]> {
    const result: Record<string, Dependency[]> = Object.fromEntries(services.map((svc) => [svc.name, []]));
    for (const callee of services) {
        const portsByCaller = new Map<string, Set<string> | "all">();
        for (const rule of callee.callers ?? []) {
            const previous = portsByCaller.get(rule.service);
            if (previous === "all" || rule.ports === undefined) {
                portsByCaller.set(rule.service, "all");
            } else {
                portsByCaller.set(rule.service, new Set([...(previous ?? []), ...rule.ports]));
            }
        }
        for (const [caller, ports] of portsByCaller) {
            result[caller].push({ to: endpoints[callee.name], ports: ports === "all" ? undefined : [...ports] });
        }
    }
    return result;
}
