import { WorkloadIdentity } from "../identity";
import { ServicePort, MeshEndpoint } from "./types";

/** The fields of a service declaration that fix its identity and address. */
export interface EndpointDeclaration {
    namespace: string;
    /** Default: the service name. */
    serviceAccount?: string;
    ports: ServicePort[];
    /** Labels of an existing workload; default: `app: <name>` on the pods ztmesh creates. */
    existingWorkload?: { podLabels: Record<string, string> };
    /** Ambient mode: the waypoint in front of the service. Default: none. */
    waypoint?: { identity: WorkloadIdentity };
}

/** The cluster DNS suffix Istio and Kubernetes use unless the cluster is configured otherwise. */
export const clusterDomain = "cluster.local";

/**
 * A service's endpoint, computed from its declaration alone, so that services that call each
 * other can be declared in any order.
 */
export function meshEndpoint(name: string, declaration: EndpointDeclaration): MeshEndpoint {
    return {
        name,
        namespace: declaration.namespace,
        serviceAccount: declaration.serviceAccount ?? name,
        podLabels: declaration.existingWorkload?.podLabels ?? { app: name },
        host: `${name}.${declaration.namespace}.svc.${clusterDomain}`,
        ports: declaration.ports,
        ...(declaration.waypoint ? { waypoint: declaration.waypoint.identity } : {}),
    };
}

/** The container port a service port reaches. */
export function podPort(port: ServicePort): number {
    return port.targetPort ?? port.port;
}

/** Ports a caller reaches by default: all but metrics endpoints. */
export function servingPorts(ports: readonly ServicePort[]): ServicePort[] {
    return ports.filter((port) => !port.metrics);
}

/** The named ports of `ports`, or its serving ports when no names are given. */
export function selectPorts(ports: readonly ServicePort[], names?: readonly string[]): ServicePort[] {
    return names ? ports.filter((port) => names.includes(port.name)) : servingPorts(ports);
}

export function isHttpPort(port: ServicePort): boolean {
    return (port.protocol ?? "http") !== "tcp";
}
