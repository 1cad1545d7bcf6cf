import { WorkloadIdentity } from "../identity";
import { DeclaredCaller } from "../wellKnown";
import { MeshServiceArgs } from "./args";
import { podPort, selectPorts } from "./endpoint";
import { publicPaths, publicPort } from "./publicRoutes";
import { MeshEndpoint, ServicePort } from "./types";

function caller(identity: WorkloadIdentity, ports: readonly ServicePort[], methods?: string[], paths?: string[]): DeclaredCaller {
    return {
        namespace: identity.namespace,
        podLabels: { ...identity.podLabels },
        ports: ports.map(podPort),
        ...(methods?.length ? { methods: [...methods] } : {}),
        ...(paths?.length ? { paths: [...paths] } : {}),
    };
}

/**
 * Who the declaration says may call the service, and how: the declared callers, the gateway on
 * the public port and paths, monitoring on metrics ports. The same inputs as the policies, kept
 * beside them so that a check can compare what is declared with what the policies allow.
 */
export function declaredCallers(endpoint: MeshEndpoint, args: MeshServiceArgs): DeclaredCaller[] {
    const callers = (args.callers ?? []).map((rule) => caller(rule.from, selectPorts(endpoint.ports, rule.ports), rule.methods, rule.paths));
    if (args.public && args.gateway) {
        callers.push(caller(args.gateway.identity, [publicPort(endpoint.ports, args.public)], undefined, publicPaths(args.public)));
    }
    const metricsPorts = endpoint.ports.filter((port) => port.metrics);
    if (metricsPorts.length > 0 && args.monitoring) {
        callers.push(caller(args.monitoring, metricsPorts, ["GET"]));
    }
    return callers;
}
