import { WorkloadIdentity } from "../identity";
import { DeclaredCaller } from "../../common/wellKnown";
import { MeshServiceArgs } from "./args";
import { podPort, selectPorts } from "./endpoint";
import { publicPaths, publicPort } from "./publicRoutes";
import { MeshEndpoint, ServicePort } from "./types";

/** One identity the service admits, on which ports, with which HTTP methods and paths (absent: any). */
export interface AdmittedCaller {
    identity: WorkloadIdentity;
    ports: ServicePort[];
    methods?: string[];
    paths?: string[];
}

/**
 * Everyone the declaration admits, in one list that both policy layers and the recorded intent
 * are built from: the declared callers, the gateway on the public port and paths, and
 * monitoring (GET, in sidecar mode) on metrics ports.
 */
export function admittedCallers(endpoint: MeshEndpoint, args: MeshServiceArgs): AdmittedCaller[] {
    const admitted: AdmittedCaller[] = (args.callers ?? []).map((rule) => ({
        identity: rule.from,
        ports: selectPorts(endpoint.ports, rule.ports),
        methods: rule.methods,
        paths: rule.paths,
    }));
    if (args.public && args.gateway) {
        admitted.push({ identity: args.gateway.identity, ports: [publicPort(endpoint.ports, args.public)], paths: publicPaths(args.public) });
    }
    const metricsPorts = endpoint.ports.filter((port) => port.metrics);
    if (metricsPorts.length > 0 && args.monitoring) {
        // In ambient mode Prometheus scrapes pod addresses, which no waypoint sees, so only ztunnel's
        // Layer 4 check applies: the method cannot be checked, and is not claimed.
        admitted.push({ identity: args.monitoring, ports: metricsPorts, ...(args.dataplaneMode === "ambient" ? {} : { methods: ["GET"] }) });
    }
    return admitted;
}

/** The admitted callers as the Service records them, for the policy pack's reachability check. */
export function declaredCallers(endpoint: MeshEndpoint, args: MeshServiceArgs): DeclaredCaller[] {
    return admittedCallers(endpoint, args).map(({ identity, ports, methods, paths }) => ({
        namespace: identity.namespace,
        podLabels: { ...identity.podLabels },
        ports: ports.map(podPort),
        ...(methods?.length ? { methods: [...methods] } : {}),
        ...(paths?.length ? { paths: [...paths] } : {}),
    }));
}
