/**
 * Random VALID stack declarations (`ztmesh:*` config) for declaredFlows.property.test.ts, what
 * they declare worked out from the declaration alone, and the pods the stack expects to find.
 *
 * The arbitraries are fast-check's, so that a failing declaration is shrunk to a small one
 * before it is printed. They keep to what the schema and the stack's checks admit: unique
 * service, port and version names, callers that name another service, methods and paths on
 * HTTP ports only, metrics ports only with a monitoring identity, a public service only with a
 * gateway listener for its hostname and an HTTP serving port.
 */
import fc from "fast-check";
import type { DeclaredService } from "../../analysis/intent";
import type { KubeObject } from "../../analysis/manifests";
import type { DeclaredCaller } from "../../common/wellKnown";
import type { Environment, ServiceConfig } from "../../stacks/schema";

type PortConfig = ServiceConfig["ports"][number];
type CallerConfig = NonNullable<ServiceConfig["callers"]>[number];
type PublicRouteConfig = NonNullable<NonNullable<ServiceConfig["public"]>["routes"]>[number];
type HttpMatchConfig = NonNullable<PublicRouteConfig["matches"]>[number];

const namespaces = ["shop", "payments", "data"];
const serviceNames = ["web", "api", "orders", "stock", "auth"];
const servicePorts = [80, 443, 3000, 5432, 8080, 9000, 9100, 50051];
const containerPorts = [8080, 8081, 8443, 9090, 10000];
const httpMethods = ["GET", "POST", "PUT", "DELETE", "PATCH"];
const callerPaths = ["/api/*", "/health", "/v1/orders", "*.json", "/admin/*"];
const publicPathValues = ["/", "/shop", "/static", "/api/v1", "/login"];
const protocols = ["http", "http2", "grpc", "tcp"] as const;

/** A service before the other services are known: callers by index, caller ports by index. */
interface ServiceDraft {
    namespace: string;
    /**
     * Whether the service names its ServiceAccount (`<name>-sa`) rather than using its name. Each
     * service keeps an identity of its own: two services of one namespace sharing a ServiceAccount
     * are one principal to Istio, so each gets the other's callers' rights at layer 7 (and in
     * ambient mode, through a shared waypoint, at every layer); the stack does not refuse that yet.
     */
    namedServiceAccount: boolean;
    ports: { port: number; targetPort?: number; protocol?: PortConfig["protocol"]; metrics: boolean }[];
    workload: { versions: number } | { existing: true };
    callers: { caller: number; ports?: number[]; methods?: string[]; paths?: string[] }[];
    public?: { namedPort: boolean; routes?: PublicRouteConfig[] };
    loadBalancer?: "ROUND_ROBIN" | "RANDOM";
}

const optional = <T>(arbitrary: fc.Arbitrary<T>, freq = 2) => fc.option(arbitrary, { nil: undefined, freq });

const portDraft = fc.record({
    port: fc.constantFrom(...servicePorts),
    targetPort: optional(fc.constantFrom(...containerPorts)),
    protocol: optional(fc.constantFrom(...protocols)),
    metrics: fc.boolean(),
}, { requiredKeys: ["port", "metrics"] });

const publicRoute: fc.Arbitrary<PublicRouteConfig> = fc.record({
    matches: fc.array(fc.oneof(
        { weight: 4, arbitrary: fc.record({ path: fc.record({ type: fc.constantFrom("Exact" as const, "PathPrefix" as const), value: fc.constantFrom(...publicPathValues) }) }) },
        // A header-only match forwards every path.
        { weight: 1, arbitrary: fc.constant<HttpMatchConfig>({ headers: [{ name: "x-canary", value: "yes" }] }) },
    ), { minLength: 1, maxLength: 2 }),
    rewrite: fc.constant({ pathPrefix: "/" }),
}, { requiredKeys: [] });

const serviceDraft: fc.Arbitrary<ServiceDraft> = fc.record({
    namespace: fc.constantFrom(...namespaces),
    namedServiceAccount: fc.boolean(),
    // Unique by Service port and by container port.
    ports: fc.uniqueArray(portDraft, { minLength: 1, maxLength: 3, comparator: (a, b) => a.port === b.port || (a.targetPort ?? a.port) === (b.targetPort ?? b.port) }),
    workload: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }).map((versions) => ({ versions })) },
        { weight: 1, arbitrary: fc.constant({ existing: true as const }) },
    ),
    callers: fc.array(fc.record({
        caller: fc.nat({ max: serviceNames.length - 1 }),
        ports: fc.uniqueArray(fc.nat({ max: 2 }), { minLength: 1, maxLength: 3 }),
        methods: fc.uniqueArray(fc.constantFrom(...httpMethods), { minLength: 1, maxLength: 2 }),
        paths: fc.uniqueArray(fc.constantFrom(...callerPaths), { minLength: 1, maxLength: 2 }),
    }, { requiredKeys: ["caller"] }), { maxLength: 3 }),
    public: optional(fc.record({ namedPort: fc.boolean(), routes: fc.array(publicRoute, { minLength: 1, maxLength: 2 }) }, { requiredKeys: ["namedPort"] }), 3),
    loadBalancer: optional(fc.constantFrom("ROUND_ROBIN" as const, "RANDOM" as const), 4),
}, { requiredKeys: ["namespace", "namedServiceAccount", "ports", "workload", "callers"] });

const isHttp = (port: PortConfig) => (port.protocol ?? "http") !== "tcp";
const podPort = (port: PortConfig) => port.targetPort ?? port.port;

/**
 * The first port always serves: the checks refuse callers, waypoints and routes of a service
 * that serves metrics only (their rules would have no port), and such a service is covered by
 * the shrunk cases of the property test.
 */
function portsOf(draft: ServiceDraft, monitoring: boolean): PortConfig[] {
    return draft.ports.map(({ port, targetPort, protocol, metrics: declared }, index) => {
        const metrics = declared && monitoring && index > 0;
        return {
            name: `${metrics ? "metrics" : protocol ?? "port"}-${index}`,
            port,
            ...(targetPort !== undefined ? { targetPort } : {}),
            ...(protocol !== undefined ? { protocol } : {}),
            ...(metrics ? { metrics: true } : {}),
        };
    });
}

/** The caller rules of a draft, resolved to service and port names; a rule the checks refuse (a self-call) is left out. */
function callersOf(draft: ServiceDraft, index: number, count: number, serving: readonly PortConfig[]): CallerConfig[] {
    return draft.callers.flatMap((rule) => {
        const caller = rule.caller % count;
        if (caller === index) {
            return [];
        }
        const named = rule.ports && serving.length > 0 ? [...new Set(rule.ports.map((i) => serving[i % serving.length]))] : undefined;
        const reached = named ?? serving;
        // Methods and paths only where every port the rule reaches speaks HTTP.
        const layer7 = reached.every(isHttp) ? { ...(rule.methods ? { methods: rule.methods } : {}), ...(rule.paths ? { paths: rule.paths } : {}) } : {};
        return [{ service: serviceNames[caller], ...(named ? { ports: named.map((port) => port.name) } : {}), ...layer7 }];
    });
}

function serviceOf(draft: ServiceDraft, index: number, count: number, options: { monitoring: boolean; gateway: boolean }): ServiceConfig {
    const name = serviceNames[index];
    const ports = portsOf(draft, options.monitoring);
    const serving = ports.filter((port) => !port.metrics);
    const httpServing = serving.filter(isHttp);
    const callers = callersOf(draft, index, count, serving);
    const exposure = draft.public && options.gateway && httpServing.length > 0 ? draft.public : undefined;
    return {
        name,
        namespace: draft.namespace,
        ...(draft.namedServiceAccount ? { serviceAccount: `${name}-sa` } : {}),
        ports,
        ...("versions" in draft.workload
            ? { versions: Array.from({ length: draft.workload.versions }, (_, v) => ({ name: `v${v + 1}`, image: `registry.example.com/${name}:1.${v}` })) }
            : { existingWorkload: { podLabels: { "app.kubernetes.io/name": name } } }),
        ...(callers.length ? { callers } : {}),
        ...(exposure
            ? {
                public: {
                    hostname: `${name}.example.com`,
                    ...(exposure.namedPort ? { port: httpServing[httpServing.length - 1].name } : {}),
                    // A prefix rewrite needs PathPrefix matches.
                    ...(exposure.routes ? { routes: exposure.routes.map(({ rewrite, ...route }) => (rewrite && route.matches?.every((match) => match.path?.type === "PathPrefix") ? { ...route, rewrite } : route)) } : {}),
                },
            }
            : {}),
        ...(draft.loadBalancer ? { traffic: { loadBalancer: draft.loadBalancer } } : {}),
    };
}

/** A valid environment: 2 to 5 services over up to 3 namespaces, sidecar or ambient, either Calico policy API. */
export const environments: fc.Arbitrary<Environment> = fc.record({
    dataplaneMode: fc.constantFrom("sidecar" as const, "ambient" as const),
    calico: fc.record({ install: fc.boolean(), policyApi: optional(fc.constantFrom("projectcalico.org/v3" as const, "crd.projectcalico.org/v1" as const)) }, { requiredKeys: ["install"] }),
    monitoring: fc.boolean(),
    gateway: optional(fc.record({ name: optional(fc.constant("edge")), namespace: optional(fc.constant("ingress")) }, { requiredKeys: [] }), 3),
    dedicatedWaypoints: fc.uniqueArray(fc.nat({ max: serviceNames.length - 1 }), { maxLength: 2 }),
    services: fc.array(serviceDraft, { minLength: 2, maxLength: serviceNames.length }),
}, { requiredKeys: ["dataplaneMode", "calico", "monitoring", "dedicatedWaypoints", "services"] }).map((draft): Environment => {
    const services = draft.services.map((service, index, all) => serviceOf(service, index, all.length, { monitoring: draft.monitoring, gateway: draft.gateway !== undefined }));
    const hostnames = services.flatMap((service) => (service.public ? [service.public.hostname] : []));
    const dedicated = draft.dataplaneMode === "ambient" ? draft.dedicatedWaypoints.filter((i) => i < services.length).map((i) => serviceNames[i]) : [];
    return {
        calico: draft.calico,
        istio: { dataplaneMode: draft.dataplaneMode, ...(dedicated.length ? { dedicatedWaypoints: dedicated } : {}) },
        ...(draft.gateway && hostnames.length
            ? { gateway: { ...draft.gateway, listeners: hostnames.map((hostname) => ({ hostname, tls: { selfSigned: true } })) } }
            : {}),
        ...(draft.monitoring ? { monitoring: { namespace: "monitoring", serviceAccount: "prometheus", podLabels: { "app.kubernetes.io/name": "prometheus" } } } : {}),
        services,
    };
});

/** The environment as the `ztmesh:` config values Pulumi stores (JSON for objects). */
export function stackConfigOf(env: Environment): Record<string, string> {
    return Object.fromEntries(Object.entries(env).map(([key, value]) => [`ztmesh:${key}`, JSON.stringify(value)]));
}

// ---- what a declaration means, from the documentation (docs/stack-config.md, docs/mesh-service.md), not from the components' code

const podLabelsOf = (service: ServiceConfig) => service.existingWorkload?.podLabels ?? { app: service.name };

/** The paths the gateway forwards to a public service, as AuthorizationPolicy patterns; undefined: any path. */
function publicPaths(exposure: NonNullable<ServiceConfig["public"]>): string[] | undefined {
    const paths = new Set<string>();
    for (const route of exposure.routes?.length ? exposure.routes : [{}] as PublicRouteConfig[]) {
        if (route.rewrite?.pathPrefix !== undefined || !route.matches?.length) {
            return undefined;
        }
        for (const match of route.matches) {
            // A prefix "/" matches every path; an exact "/" is the one path "/".
            if (!match.path || (match.path.type === "PathPrefix" && match.path.value === "/")) {
                return undefined;
            }
            // A PathPrefix matches whole segments: the prefix itself and everything below it.
            (match.path.type === "Exact" ? [match.path.value] : [match.path.value, `${match.path.value}/*`]).forEach((path) => paths.add(path));
        }
    }
    return [...paths];
}

/**
 * Who each service admits, from the declaration: each caller rule on its ports (all serving
 * ports when none are named) with its methods and paths; the gateway on the public port and
 * the routes' paths; monitoring on metrics ports (GET with a sidecar; ambient mode checks the
 * identity and port only). Ports are container ports, as policies see them.
 */
export function declaredIntent(env: Environment): DeclaredService[] {
    const byName = new Map(env.services.map((service) => [service.name, service]));
    const gateway = env.gateway && { namespace: env.gateway.namespace ?? "istio-ingress", podLabels: { "gateway.networking.k8s.io/gateway-name": env.gateway.name ?? "mesh-gateway" } };
    return env.services.map((service) => {
        const serving = service.ports.filter((port) => !port.metrics);
        const callers: DeclaredCaller[] = (service.callers ?? []).flatMap((rule) => {
            const caller = byName.get(rule.service)!;
            const ports = rule.ports ? service.ports.filter((port) => rule.ports!.includes(port.name)) : serving;
            // A rule that reaches no port (a service that serves metrics only) declares no flow.
            return ports.length ? [{ namespace: caller.namespace, podLabels: podLabelsOf(caller), ports: ports.map(podPort), ...(rule.methods ? { methods: rule.methods } : {}), ...(rule.paths ? { paths: rule.paths } : {}) }] : [];
        });
        if (service.public && gateway) {
            const exposed = service.public.port ? service.ports.find((port) => port.name === service.public!.port)! : serving.find(isHttp)!;
            const paths = publicPaths(service.public);
            callers.push({ ...gateway, ports: [podPort(exposed)], ...(paths ? { paths } : {}) });
        }
        const metrics = service.ports.filter((port) => port.metrics);
        if (metrics.length && env.monitoring) {
            callers.push({ namespace: env.monitoring.namespace, podLabels: env.monitoring.podLabels, ports: metrics.map(podPort), ...(env.istio?.dataplaneMode === "ambient" ? {} : { methods: ["GET"] }) });
        }
        return { namespace: service.namespace, name: service.name, selector: podLabelsOf(service), callers };
    });
}

/**
 * The pods the stack expects but does not deploy, so that their flows are seen too: each
 * `existingWorkload` (another pipeline deploys it in the service's namespace, as the service's
 * ServiceAccount) and Prometheus as `ztmesh:monitoring` names it, in a namespace of its own in
 * the mesh: its identity is what the services admit on their metrics ports.
 */
export function podsDeployedElsewhere(env: Environment): KubeObject[] {
    const deployment = (namespace: string, name: string, podLabels: Record<string, string>, serviceAccount: string, ports: readonly number[] = []): KubeObject => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace },
        spec: {
            selector: { matchLabels: podLabels },
            template: {
                metadata: { labels: podLabels },
                spec: { serviceAccountName: serviceAccount, containers: [{ name, image: `registry.example.com/${name}:1.0`, ports: ports.map((containerPort) => ({ containerPort })) }] },
            },
        },
    });
    const existing = env.services.flatMap((service) => (service.existingWorkload
        ? [deployment(service.namespace, service.name, service.existingWorkload.podLabels, service.serviceAccount ?? service.name, service.ports.map(podPort))]
        : []));
    const monitoring = env.monitoring;
    const meshLabel: Record<string, string> = env.istio?.dataplaneMode === "ambient" ? { "istio.io/dataplane-mode": "ambient" } : { "istio-injection": "enabled" };
    return [
        ...existing,
        ...(monitoring
            ? [
                { apiVersion: "v1", kind: "Namespace", metadata: { name: monitoring.namespace, labels: meshLabel } },
                deployment(monitoring.namespace, "prometheus", monitoring.podLabels, monitoring.serviceAccount),
            ]
            : []),
    ];
}
