import { CallerRule, Dependency, MeshEndpoint, MeshServiceArgs, WaypointAttachment, meshEndpoint } from "../components";
import { ServiceConfig } from "./schema";

/**
 * The service of this stack a caller entry names: `name`, or `namespace/name` (the form that
 * also names services of other teams' stacks).
 */
export function localService<S extends Pick<ServiceConfig, "name" | "namespace">>(services: readonly S[], reference: string): S | undefined {
    const slash = reference.indexOf("/");
    if (slash < 0) {
        return services.find((svc) => svc.name === reference);
    }
    const [namespace, name] = [reference.slice(0, slash), reference.slice(slash + 1)];
    return services.find((svc) => svc.name === name && svc.namespace === namespace);
}

/**
 * The endpoint of a service of another team's stack, `namespace/name`, serving the container
 * `ports` given (none for a caller); supplied by application stacks from their platform.
 */
export type RemoteEndpoint = (reference: string, ports?: readonly number[]) => MeshEndpoint;

const noRemoteServices: RemoteEndpoint = (reference) => {
    throw new Error(`"${reference}" is not a service of this stack`);
};

/**
 * Translates the services of the config into MeshService arguments. Each flow within the
 * stack is declared once, on the callee (`callers`); the caller's egress (`dependencies`) is
 * derived from it, so the two ends of a flow cannot disagree. A flow to or from another team's
 * stack is declared on this stack's end (`callers` or `dependencies` naming `namespace/name`)
 * and resolved by `remote`. `waypoints` (ambient mode) names the waypoint in front of each
 * service that has one; its callers then send their traffic there.
 */
export function meshServiceArgs(
    services: readonly ServiceConfig[],
    waypoints: Readonly<Record<string, WaypointAttachment>> = {},
    remote: RemoteEndpoint = noRemoteServices,
): Record<string, Omit<MeshServiceArgs, "gateway" | "monitoring" | "trustDomain" | "revision" | "dataplaneMode">> {
    const endpoints: Record<string, MeshEndpoint> = Object.fromEntries(services.map((svc) => [svc.name, meshEndpoint(svc.name, { ...svc, waypoint: waypoints[svc.name] })]));
    const endpointOf = (reference: string) => {
        const local = localService(services, reference);
        return local ? endpoints[local.name] : remote(reference);
    };
    const dependencies = derivedDependencies(services, endpoints);
    return Object.fromEntries(services.map((svc) => {
        const callers: CallerRule[] = (svc.callers ?? []).map((caller) => ({
            from: endpointOf(caller.service),
            ports: caller.ports,
            methods: caller.methods,
            paths: caller.paths,
        }));
        const remoteDependencies: Dependency[] = (svc.dependencies ?? []).map((dependency) => ({ to: remote(dependency.service, dependency.ports) }));
        return [svc.name, {
            namespace: svc.namespace,
            serviceAccount: svc.serviceAccount,
            ports: svc.ports,
            versions: svc.versions,
            existingWorkload: svc.existingWorkload,
            callers,
            dependencies: [...dependencies[svc.name], ...remoteDependencies],
            public: svc.public,
            traffic: svc.traffic,
            waypoint: waypoints[svc.name],
        }];
    }));
}

/** For every service, the services of the stack that list it as a caller, with the ports they admit it on. */
function derivedDependencies(services: readonly ServiceConfig[], endpoints: Record<string, MeshEndpoint>): Record<string, Dependency[]> {
    const result: Record<string, Dependency[]> = Object.fromEntries(services.map((svc) => [svc.name, []]));
    for (const callee of services) {
        const portsByCaller = new Map<string, Set<string> | "all">();
        for (const rule of callee.callers ?? []) {
            const caller = localService(services, rule.service)?.name;
            if (caller === undefined) {
                continue; // another team's service: its own stack writes its egress
            }
            const previous = portsByCaller.get(caller);
            if (previous === "all" || rule.ports === undefined) {
                portsByCaller.set(caller, "all");
            } else {
                portsByCaller.set(caller, new Set([...(previous ?? []), ...rule.ports]));
            }
        }
        for (const [caller, ports] of portsByCaller) {
            result[caller].push({ to: endpoints[callee.name], ports: ports === "all" ? undefined : [...ports] });
        }
    }
    return result;
}
