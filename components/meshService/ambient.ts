/**
 * A MeshService in Istio's ambient mode: the same declaration, enforced where ambient enforces.
 *
 *   - Between ambient pods, traffic leaves and enters every pod as HBONE on TCP 15008 (ztunnel
 *     listens inside the pod's network namespace); the application port travels inside the
 *     tunnel. NetworkPolicy, which the CNI enforces outside the pod, therefore admits the
 *     declared peers on 15008, and the ports are checked by ztunnel's AuthorizationPolicy.
 *   - Layer 4 (principals, ports) is enforced by the destination's ztunnel, from a `selector`
 *     policy. A service that needs Layer 7 gets a waypoint: its L7 policy attaches to the
 *     Service (`targetRefs`), routes attach to the Service (GAMMA HTTPRoute), and its ztunnel
 *     admits only the waypoint, whose identity the destination sees instead of the caller's, so
 *     that no caller can skip the waypoint by dialling a pod address.
 */
import * as k8s from "@pulumi/kubernetes";
import { WorkloadIdentity, checkWorkloadIdentity, defaultTrustDomain, networkPolicyPeer, principalOf } from "../identity";
import { Problems, checkDns1123Label } from "../problems";
import { kubeDnsEgressRule } from "../networkPolicyRules";
import { ambient, istioPorts, revisionLabel } from "../../common/wellKnown";
import { MeshServiceArgs } from "./args";
import { authorizationPolicySpec } from "./authorizationPolicy";
import { isHttpPort, podPort, servingPorts } from "./endpoint";
import { admittedCallers } from "./intent";
import { gatewayApiMatch } from "./matches";
import { publicPaths, versionServiceName } from "./publicRoutes";
import { CallerRule, MeshEndpoint, MeshRoute, PublicExposure, ServicePort, ServiceVersion, TrafficPolicy } from "./types";
import { versionWeights } from "./weights";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/** The parts of a declaration that decide whether a service needs Layer 7. */
export interface Layer7Declaration {
    callers?: Pick<CallerRule, "methods" | "paths">[];
    public?: PublicExposure;
    versions?: readonly unknown[];
    traffic?: TrafficPolicy;
}

/**
 * Why the service needs Layer 7 processing, i.e. a waypoint in ambient mode; empty when
 * ztunnel's Layer 4 suffices. Each reason names the declaration field.
 */
export function layer7Needs(declaration: Layer7Declaration): string[] {
    const reasons: string[] = [];
    (declaration.callers ?? []).forEach((caller, index) => {
        if (caller.methods?.length || caller.paths?.length) {
            reasons.push(`callers[${index}] limits methods or paths`);
        }
    });
    if (declaration.public && publicPaths(declaration.public) !== undefined) {
        reasons.push("public routes admit only some paths");
    }
    if ((declaration.versions?.length ?? 0) > 1) {
        reasons.push("versions share traffic by weight");
    }
    const traffic = declaration.traffic ?? {};
    if (traffic.routes?.length) {
        reasons.push("traffic.routes");
    }
    for (const key of ["loadBalancer", "connectionPool", "outlierDetection"] as const) {
        if (traffic[key] !== undefined) {
            reasons.push(`traffic.${key}`);
        }
    }
    return reasons;
}

/** Pod labels of one version in ambient mode: enrolled in ztunnel even where the namespace label is missing. */
export function ambientPodLabels(endpoint: MeshEndpoint, version: string, revision?: string): Record<string, string> {
    return { ...endpoint.podLabels, version, [ambient.dataplaneModeLabel]: "ambient", ...(revision ? { [revisionLabel]: revision } : {}) };
}

/** Labels of the Service (and its version Services) that send its traffic through the waypoint. */
export function waypointServiceLabels(endpoint: MeshEndpoint, args: MeshServiceArgs): Record<string, string> {
    if (!endpoint.waypoint) {
        return {};
    }
    return {
        [ambient.useWaypointLabel]: endpoint.waypoint.name,
        // The ingress gateway would otherwise dial the pods directly, skipping the public paths' check.
        ...(args.public ? { [ambient.ingressUseWaypointLabel]: "true" } : {}),
    };
}

/** Where a caller's traffic to `endpoint` goes: its waypoint when it has one, else its pods. */
export function hboneDestination(endpoint: MeshEndpoint): Pick<WorkloadIdentity, "namespace" | "podLabels"> {
    return endpoint.waypoint ?? endpoint;
}

const hbonePort = [{ protocol: "TCP", port: istioPorts.hbone }];

function hboneFrom(peers: readonly Pick<WorkloadIdentity, "namespace" | "podLabels">[]) {
    return { from: peers.map(networkPolicyPeer), ports: hbonePort };
}

/**
 * The service's NetworkPolicy in ambient mode: ingress over HBONE from the admitted callers
 * (or, behind a waypoint, from the waypoint only), egress over HBONE to each dependency (or its
 * waypoint), and DNS. Pods in the ambient mesh never dial istiod: ztunnel does.
 */
export function ambientNetworkPolicySpec(endpoint: MeshEndpoint, args: MeshServiceArgs): NetworkPolicySpec {
    const callers = admittedCallers(endpoint, args);
    // Monitoring scrapes pod addresses, which no waypoint sees: it reaches the pods directly.
    const direct = endpoint.waypoint
        ? [endpoint.waypoint, ...callers.filter((caller) => caller.ports.every((port) => port.metrics)).map((caller) => caller.identity)]
        : callers.map((caller) => caller.identity);
    return {
        podSelector: { matchLabels: { ...endpoint.podLabels } },
        policyTypes: ["Ingress", "Egress"],
        ingress: direct.length ? [hboneFrom(direct)] : [],
        egress: [
            ...(args.dependencies ?? []).map((dependency) => ({ to: [networkPolicyPeer(hboneDestination(dependency.to))], ports: hbonePort })),
            kubeDnsEgressRule(),
        ],
    };
}

/**
 * The waypoint's side of this service, in the waypoint's NetworkPolicy terms: ingress from the
 * callers that go through it, egress to this service's pods. Additive to the waypoint's own policy.
 */
export function waypointNetworkPolicySpec(endpoint: MeshEndpoint, waypoint: WorkloadIdentity, args: MeshServiceArgs): NetworkPolicySpec {
    const callers = admittedCallers(endpoint, args).filter((caller) => !caller.ports.every((port) => port.metrics));
    return {
        podSelector: { matchLabels: { ...waypoint.podLabels } },
        policyTypes: ["Ingress", "Egress"],
        ingress: callers.length ? [hboneFrom(callers.map((caller) => caller.identity))] : [],
        egress: [{ to: [networkPolicyPeer(endpoint)], ports: hbonePort }],
    };
}

/** The Services a waypoint policy attaches to: the service and its version Services. */
function targetRefs(endpoint: MeshEndpoint, versionServices: readonly string[]) {
    return [endpoint.name, ...versionServices].map((name) => ({ group: "", kind: "Service", name }));
}

/** The port a waypoint sees a service port as: the Service port the client dialled. */
const servicePortNumber = (port: ServicePort) => port.port;

/**
 * The Layer 7 policy at the waypoint: the sidecar-mode rules (principals, ports, methods,
 * paths), attached to the Service and its version Services, so that no name of the service
 * reaches its pods through the waypoint unchecked. Its ports are Service ports, not container
 * ports: istiod builds a waypoint's inbound filter chains per Service port and restores the
 * original destination (pilot `listener_waypoint.go`, `buildWaypointInternal`), and the
 * authorization filter matches that connection's local port without translating it
 * (`pilot/pkg/security/authz/model/generator.go`, `destPortGenerator`). With container ports,
 * a service whose `targetPort` differs from its `port` would refuse every caller at its waypoint.
 */
export function waypointAuthorizationPolicySpec(endpoint: MeshEndpoint, args: MeshServiceArgs, versionServices: readonly string[]) {
    const { selector: _selector, ...spec } = authorizationPolicySpec(endpoint, args, servicePortNumber);
    return { targetRefs: targetRefs(endpoint, versionServices), ...spec };
}

/**
 * The Layer 4 policy at the destination's ztunnel for a service behind a waypoint: only the
 * waypoint's principal on the serving ports (and monitoring on metrics ports, which it scrapes
 * directly). A caller that dials a pod address skips the waypoint and is refused here.
 */
export function ztunnelViaWaypointSpec(endpoint: MeshEndpoint, args: MeshServiceArgs) {
    const trustDomain = args.trustDomain ?? defaultTrustDomain;
    const rule = (identity: WorkloadIdentity, ports: readonly ServicePort[]) => ({
        from: [{ source: { principals: [principalOf(identity, trustDomain)] } }],
        to: [{ operation: { ports: ports.map((port) => String(podPort(port))) } }],
    });
    const metrics = endpoint.ports.filter((port) => port.metrics);
    return {
        selector: { matchLabels: { ...endpoint.podLabels } },
        action: "ALLOW",
        rules: [
            rule(endpoint.waypoint!, servingPorts(endpoint.ports)),
            ...(metrics.length && args.monitoring ? [rule(args.monitoring, metrics)] : []),
        ],
    };
}

/** The Services one version Service per version needs in ambient mode: GAMMA splits traffic by Service. */
export function ambientVersionServicePorts(endpoint: MeshEndpoint, versions: readonly ServiceVersion[] | undefined): ServicePort[] {
    return endpoint.waypoint && (versions?.length ?? 0) > 1 ? servingPorts(endpoint.ports) : [];
}

function meshRouteRule(endpoint: MeshEndpoint, versions: readonly ServiceVersion[] | undefined, route: MeshRoute, port: number) {
    const weights = route.weights ?? (versions ? versionWeights(versions) : {});
    const backendRefs = (versions?.length ?? 0) > 1
        ? versions!.map((version) => ({ name: versionServiceName(endpoint.name, version.name), port, weight: weights[version.name] ?? 0 }))
        : [{ name: endpoint.name, port }];
    const rewrite = route.rewrite;
    const filters = rewrite
        ? [{
            type: "URLRewrite",
            urlRewrite: {
                ...(rewrite.authority ? { hostname: rewrite.authority } : {}),
                ...(rewrite.uri !== undefined ? { path: { type: "ReplacePrefixMatch", replacePrefixMatch: rewrite.uri } } : {}),
            },
        }]
        : [];
    return {
        ...(route.matches?.length ? { matches: route.matches.map(gatewayApiMatch) } : {}),
        ...(filters.length ? { filters } : {}),
        backendRefs,
        ...(route.timeout ? { timeouts: { request: route.timeout } } : {}),
    };
}

/**
 * In-mesh routes as GAMMA HTTPRoutes, one per HTTP serving port (a Service backendRef names one
 * port): attached to the Service, carried out by its waypoint. Retries have no field in the
 * standard Gateway API channel; `routesWithRetries` lists them so the caller can say so.
 */
export function meshHttpRoutes(endpoint: MeshEndpoint, args: MeshServiceArgs): { port: ServicePort; spec: object }[] {
    const routes = args.traffic?.routes?.length ? args.traffic.routes : [{}];
    return servingPorts(endpoint.ports).filter(isHttpPort).map((port) => ({
        port,
        spec: {
            parentRefs: [{ group: "", kind: "Service", name: endpoint.name, port: port.port }],
            rules: routes.map((route) => meshRouteRule(endpoint, args.versions, route, port.port)),
        },
    }));
}

/** The indexes of in-mesh routes that declare retries, which an HTTPRoute of the standard channel cannot carry. */
export function routesWithRetries(args: MeshServiceArgs): number[] {
    return (args.traffic?.routes ?? []).flatMap((route, index) => (route.retries ? [index] : []));
}

/** What is wrong with a declaration in ambient mode, added to `problems`; nothing in sidecar mode. */
export function checkAmbientArgs(problems: Problems, args: MeshServiceArgs): void {
    if (args.dataplaneMode !== "ambient") {
        return;
    }
    if (args.waypoint) {
        checkDns1123Label(problems, "waypoint.name", args.waypoint.name);
        checkWorkloadIdentity(problems, "waypoint.identity", args.waypoint.identity);
        if (args.waypoint.identity?.namespace !== args.waypoint.namespace) {
            problems.add("waypoint.identity.namespace", `the waypoint's pods are in "${args.waypoint.identity?.namespace}", not in its namespace "${args.waypoint.namespace}"`, "pass the Waypoint itself, whose identity is in its namespace");
        }
        if (servingPorts(args.ports ?? []).length === 0) {
            problems.add("waypoint", "the service has no port but metrics ports, so ztunnel's rule for the waypoint would have no port and admit every port", "declare a serving port, or drop the waypoint");
        }
    }
    const needs = layer7Needs(args);
    if (!args.waypoint && needs.length > 0) {
        problems.add("waypoint", `in ambient mode ztunnel enforces Layer 4 only, and this service needs Layer 7 (${needs.join("; ")})`, "pass a Waypoint in the service's namespace as waypoint");
    }
    if (args.waypoint && args.waypoint.namespace !== args.namespace) {
        problems.add("waypoint", `waypoint "${args.waypoint.namespace}/${args.waypoint.name}" is in another namespace than the service ("${args.namespace}")`, "use a Waypoint in the service's own namespace");
    }
    (args.traffic?.routes ?? []).forEach((route, index) => {
        if (args.waypoint && route.rewrite?.uri !== undefined && !(route.matches ?? []).every((match) => match.path?.type === "PathPrefix")) {
            problems.add(`traffic.routes[${index}].rewrite.uri`, "in ambient mode a path rewrite is an HTTPRoute ReplacePrefixMatch, which needs PathPrefix matches", "match every request of the route with a PathPrefix path, or drop the rewrite");
        }
    });
}
