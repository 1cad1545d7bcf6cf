import { GatewayAttachment } from "../gateway/meshGateway";
import { MeshServiceArgs } from "./args";
import { isHttpPort } from "./endpoint";
import { gatewayApiMatch, istioMatch } from "./matches";
import { weightedDestinations } from "./traffic";
import { MeshEndpoint, PublicExposure, PublicRoute, ServicePort } from "./types";
import { versionWeights } from "./weights";

/** The port that receives public traffic: the named one, else the first serving HTTP port. */
export function publicPort(ports: readonly ServicePort[], exposure: PublicExposure): ServicePort {
    const port = exposure.port
        ? ports.find((p) => p.name === exposure.port)
        : ports.find((p) => !p.metrics && isHttpPort(p));
    if (!port) {
        throw new Error(`no public port: validateMeshServiceArgs admits no exposure without one`);
    }
    return port;
}

function routesOf(exposure: PublicExposure): PublicRoute[] {
    return exposure.routes?.length ? exposure.routes : [{}];
}

/**
 * The request paths the gateway may forward, for the AuthorizationPolicy: exactly what the
 * routes match. Undefined (any path) when a route matches every path (no match, or prefix `/`), by regular expression,
 * or rewrites the path, since the request the service sees then differs from what was matched.
 */
export function publicPaths(exposure: PublicExposure): string[] | undefined {
    const paths: string[] = [];
    for (const route of routesOf(exposure)) {
        if (route.rewrite?.pathPrefix !== undefined || !route.matches?.length) {
            return undefined;
        }
        for (const match of route.matches) {
            // Only a prefix "/" matches every path; an exact "/" is the one path "/".
            if (!match.path || match.path.type === "RegularExpression" || (match.path.type === "PathPrefix" && match.path.value === "/")) {
                return undefined;
            }
            const value = match.path.value.replace(/\/+$/, "");
            paths.push(...(match.path.type === "Exact" ? [match.path.value] : [value, `${value}/*`]));
        }
    }
    return [...new Set(paths)];
}

/** The Service a canary backendRef points at: Gateway API splits traffic by Service, not subset. */
export function versionServiceName(service: string, version: string): string {
    return `${service}-${version}`;
}

/** Whether the service needs one Service per version: a public route that splits between versions. */
export function needsVersionServices(args: MeshServiceArgs): boolean {
    return Boolean(args.public) && (args.versions?.length ?? 0) > 1 && args.gateway?.mode !== "classic";
}

/** HTTPRoute on the MeshGateway's HTTPS listener: matches, URLRewrite, weighted backendRefs. */
export function httpRouteSpec(endpoint: MeshEndpoint, args: MeshServiceArgs, gateway: GatewayAttachment) {
    const exposure = args.public!;
    const port = publicPort(endpoint.ports, exposure).port;
    return {
        parentRefs: [gateway.parentRefFor(exposure.hostname)],
        hostnames: [exposure.hostname],
        rules: routesOf(exposure).map((route) => {
            const filters = route.rewrite
                ? [{
                    type: "URLRewrite",
                    urlRewrite: {
                        ...(route.rewrite.hostname ? { hostname: route.rewrite.hostname } : {}),
                        ...(route.rewrite.pathPrefix !== undefined
                            ? { path: { type: "ReplacePrefixMatch", replacePrefixMatch: route.rewrite.pathPrefix } }
                            : {}),
                    },
                }]
                : [];
            const weights = route.weights ?? (args.versions ? versionWeights(args.versions) : {});
            const backendRefs = needsVersionServices(args)
                ? args.versions!.map((version) => ({ name: versionServiceName(endpoint.name, version.name), port, weight: weights[version.name] ?? 0 }))
                : [{ name: endpoint.name, port }];
            return {
                ...(route.matches?.length ? { matches: route.matches.map(gatewayApiMatch) } : {}),
                ...(filters.length ? { filters } : {}),
                backendRefs,
            };
        }),
    };
}

/** Classic-mode equivalent: a VirtualService bound to the Istio Gateway, routing to subsets. */
export function classicPublicVirtualServiceSpec(endpoint: MeshEndpoint, args: MeshServiceArgs, gateway: GatewayAttachment) {
    const exposure = args.public!;
    const port = publicPort(endpoint.ports, exposure).port;
    return {
        hosts: [exposure.hostname],
        gateways: [gateway.classicGatewayRef],
        http: routesOf(exposure).map((route) => ({
            ...(route.matches?.length ? { match: route.matches.map(istioMatch) } : {}),
            ...(route.rewrite
                ? {
                    rewrite: {
                        ...(route.rewrite.pathPrefix !== undefined ? { uri: route.rewrite.pathPrefix } : {}),
                        ...(route.rewrite.hostname ? { authority: route.rewrite.hostname } : {}),
                    },
                }
                : {}),
            route: weightedDestinations(endpoint, args, route.weights, port),
        })),
    };
}
