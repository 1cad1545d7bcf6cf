/**
 * Public flows: the routes by which traffic from outside the cluster enters through a gateway
 * and reaches a Service's workloads, with the hostnames and paths of each route, and whether
 * the policies let it through (External → gateway at layer 3/4, gateway → workload at layers
 * 3/4 and 7, where the gateway calls with its own identity).
 *
 * Routing read: Gateway API `Gateway` (listeners: port, protocol, hostname, `allowedRoutes`
 * namespaces) with `HTTPRoute` (`parentRefs` with `sectionName`, `hostnames`, path and method
 * matches, `backendRefs` to Services, cross-namespace ones only with a `ReferenceGrant`,
 * `RequestRedirect` rules); Istio `Gateway` (`selector`, `servers`) with `VirtualService`
 * (`gateways`, `hosts`, `http[].match` uri and method, `route[].destination`). Not read: header
 * and query matches (shown, not evaluated), rewrites, mirrors, weights (every destination of a
 * route is listed), TCP/TLS routes.
 */
import { matches } from "../calicoSelector";
import { KubeObject } from "../manifests";
import { labelSelectorNode, LabelSelector } from "../netpol/labelSelector";
import { IntervalSet } from "../netpol/intervals";
import { Cluster, clusterFromObjects, namespaceOf, Workload, workloadId } from "../netpol/workloads";
import type { LayeredConnection as Flow } from "./evaluate";
import { formatGrants } from "./format";
import { anyValue, clipGrants, Grant, hostSet, intersectGrant, isEmptyGrant, methodSet, pathSet, subtractGrant } from "./grants";
import { gatewayNameLabel, isGatewayApiGateway } from "./gatewayDeployments";

export interface PublicRoute {
    /** `Gateway istio-ingress/mesh-gateway` (Gateway API) or `Gateway istio-system/bookinfo (networking.istio.io)`. */
    readonly gateway: string;
    /** The route object: `HTTPRoute bookinfo/productpage` or `VirtualService bookinfo/bookinfo`. */
    readonly route: string;
    /** `HTTPS 443`. */
    readonly listener: string;
    /** Request hosts; `["*"]` for any. */
    readonly hosts: readonly string[];
    /** Istio path patterns (`/static/*`), `*` for any; a regular expression as `~regex`. */
    readonly paths: readonly string[];
    /** Methods; absent for any. */
    readonly methods?: readonly string[];
    /** Matches shown but not evaluated (headers, query parameters). */
    readonly unevaluated?: readonly string[];
    /** The gateway's workloads. */
    readonly via: readonly string[];
    /** `Service bookinfo/productpage:9080`, or what the route does instead (`redirect to https`). */
    readonly backend: string;
    readonly destinations: readonly RouteDestination[];
}

export interface RouteDestination {
    readonly workload: string;
    /** The workload port the Service sends to. */
    readonly port: number;
    /** allowed: every request of the route gets through; partly: some; denied: none. */
    readonly status: "allowed" | "partly" | "denied";
    /** Why, in words. */
    readonly reason: string;
}

interface ServiceSpec { selector?: Record<string, unknown>; ports?: { port?: unknown; targetPort?: unknown; name?: unknown }[] }

/** Every public route in `objects`, given the flows computed from them (objects as reach.ts expands them). */
export function publicRoutes(objects: readonly KubeObject[], flows: readonly Flow[]): PublicRoute[] {
    const cluster = clusterFromObjects(objects);
    const context: Context = {
        objects,
        cluster,
        flows: new Map(flows.map((flow) => [`${flow.src.name} ${flow.dst.name}`, flow])),
        externalReach: externalReach(flows),
    };
    return [...gatewayApiRoutes(context), ...istioRoutes(context)];
}

interface Context {
    readonly objects: readonly KubeObject[];
    readonly cluster: Cluster;
    readonly flows: ReadonlyMap<string, Flow>;
    /** TCP ports on which some External range reaches each workload. */
    readonly externalReach: ReadonlyMap<string, IntervalSet>;
}

function externalReach(flows: readonly Flow[]): Map<string, IntervalSet> {
    const reach = new Map<string, IntervalSet>();
    for (const flow of flows) {
        if (flow.src.kind === "external") {
            reach.set(flow.dst.name, (reach.get(flow.dst.name) ?? IntervalSet.empty).union(flow.allowed.ports("TCP")));
        }
    }
    return reach;
}

/** What a route asks of its backends. */
interface RouteRequests { hosts: readonly string[]; paths: readonly string[]; methods?: readonly string[] }

// ---- Gateway API

interface Listener { name?: unknown; port?: unknown; protocol?: unknown; hostname?: unknown; allowedRoutes?: { namespaces?: { from?: unknown; selector?: LabelSelector } } }
interface ParentRef { name?: unknown; namespace?: unknown; sectionName?: unknown; kind?: unknown }
interface HttpMatch { path?: { type?: unknown; value?: unknown }; method?: unknown; headers?: unknown[]; queryParams?: unknown[] }
interface HttpRule { matches?: HttpMatch[]; backendRefs?: { name?: unknown; namespace?: unknown; port?: unknown; kind?: unknown }[]; filters?: { type?: unknown; requestRedirect?: { scheme?: unknown; hostname?: unknown } }[] }

function gatewayApiRoutes(context: Context): PublicRoute[] {
    const routes = context.objects.filter((object) => object.kind === "HTTPRoute" && String(object.apiVersion ?? "").startsWith("gateway.networking.k8s.io/"));
    return context.objects.filter(isGatewayApiGateway).flatMap((gateway) => {
        const namespace = namespaceOf(gateway);
        const name = gateway.metadata?.name ?? "";
        const via = context.cluster.workloads.filter((w) => w.namespace === namespace && w.labels[gatewayNameLabel] === name);
        const listeners = ((gateway.spec as { listeners?: Listener[] } | undefined)?.listeners ?? []).filter((listener) => ["HTTP", "HTTPS"].includes(String(listener?.protocol)));
        return routes.flatMap((route) => {
            const routeNamespace = namespaceOf(route);
            const spec = (route.spec ?? {}) as { parentRefs?: ParentRef[]; hostnames?: unknown[]; rules?: HttpRule[] };
            const attached = listeners.filter((listener) => (spec.parentRefs ?? []).some((ref) =>
                ref?.name === name && (ref.kind === undefined || ref.kind === "Gateway") && (ref.namespace ?? routeNamespace) === namespace
                && (ref.sectionName === undefined || ref.sectionName === listener.name))
                && admitsNamespace(listener, namespace, routeNamespace, context.cluster));
            return attached.flatMap((listener) => {
                const hosts = attachedHosts(listener.hostname, (spec.hostnames ?? []).map(String));
                if (hosts.length === 0) {
                    return [];
                }
                return (spec.rules ?? [{}]).flatMap((rule) => {
                    const requests = { hosts, ...gatewayApiMatches(rule.matches) };
                    const base = {
                        gateway: `Gateway ${namespace}/${name}`,
                        route: `HTTPRoute ${routeNamespace}/${route.metadata?.name ?? ""}`,
                        listener: `${String(listener.protocol)} ${String(listener.port)}`,
                        ...requests,
                        via: via.map(workloadId),
                    };
                    const redirect = (rule.filters ?? []).find((filter) => filter?.type === "RequestRedirect");
                    if (redirect && (rule.backendRefs ?? []).length === 0) {
                        const to = [redirect.requestRedirect?.scheme, redirect.requestRedirect?.hostname].filter((part) => typeof part === "string").join("://");
                        return [{ ...base, backend: `redirect${to ? ` to ${to}` : ""}`, destinations: [] }];
                    }
                    return (rule.backendRefs ?? []).filter((ref) => ref?.kind === undefined || ref.kind === "Service").map((ref): PublicRoute => {
                        const serviceNamespace = String(ref.namespace ?? routeNamespace);
                        const backend = `Service ${serviceNamespace}/${String(ref.name)}:${String(ref.port)}`;
                        if (serviceNamespace !== routeNamespace && !referenceGranted(context.objects, routeNamespace, serviceNamespace, String(ref.name))) {
                            return { ...base, backend: `${backend} (refused: no ReferenceGrant in ${serviceNamespace} admits HTTPRoutes of ${routeNamespace})`, destinations: [] };
                        }
                        return { ...base, backend, destinations: destinationsOf(context, via, serviceNamespace, String(ref.name), Number(ref.port), requests, Number(listener.port)) };
                    });
                });
            });
        });
    });
}

function admitsNamespace(listener: Listener, gatewayNamespace: string, routeNamespace: string, cluster: Cluster): boolean {
    const from = listener.allowedRoutes?.namespaces?.from ?? "Same";
    if (from === "All") {
        return true;
    }
    if (from === "Selector") {
        return matches(labelSelectorNode(listener.allowedRoutes?.namespaces?.selector ?? {}), cluster.namespaces.get(routeNamespace) ?? {});
    }
    return routeNamespace === gatewayNamespace;
}

/** The route's hostnames that the listener's hostname admits (Gateway API hostname intersection); `["*"]` for any. */
function attachedHosts(listenerHostname: unknown, hostnames: readonly string[]): string[] {
    const listener = typeof listenerHostname === "string" ? listenerHostname.toLowerCase() : undefined;
    const routeHosts = hostnames.map((host) => host.toLowerCase());
    if (listener === undefined) {
        return routeHosts.length === 0 ? ["*"] : routeHosts;
    }
    if (routeHosts.length === 0) {
        return [listener];
    }
    const within = (host: string, wildcard: string) => wildcard.startsWith("*.") && host.endsWith(wildcard.slice(1));
    return routeHosts.flatMap((host) => (host === listener || within(host, listener) ? [host] : within(listener, host) ? [listener] : []));
}

function gatewayApiMatches(matchList: readonly HttpMatch[] | undefined): Omit<RouteRequests, "hosts"> & { unevaluated?: string[] } {
    const list = matchList && matchList.length > 0 ? matchList : [{}];
    const paths = [...new Set(list.flatMap((match) => {
        const type = match.path?.type ?? "PathPrefix";
        const value = String(match.path?.value ?? "/");
        if (type === "Exact") {
            return [value];
        }
        if (type === "RegularExpression") {
            return [`~${value}`];
        }
        // A Gateway API prefix matches whole path segments: `/static` is `/static` and `/static/...`.
        const trimmed = value.replace(/\/+$/, "");
        return trimmed === "" ? ["*"] : [trimmed, `${trimmed}/*`];
    }))];
    const methods = list.every((match) => typeof match.method === "string") ? [...new Set(list.map((match) => String(match.method)))] : undefined;
    const unevaluated = list.flatMap((match) => [
        ...(match.headers ?? []).map((header) => `header ${JSON.stringify(header)}`),
        ...(match.queryParams ?? []).map((query) => `query ${JSON.stringify(query)}`),
    ]);
    return { paths: paths.includes("*") ? ["*"] : paths, ...(methods ? { methods } : {}), ...(unevaluated.length > 0 ? { unevaluated } : {}) };
}

function referenceGranted(objects: readonly KubeObject[], routeNamespace: string, serviceNamespace: string, service: string): boolean {
    return objects.some((object) => object.kind === "ReferenceGrant" && namespaceOf(object) === serviceNamespace && (() => {
        const spec = (object.spec ?? {}) as { from?: { group?: unknown; kind?: unknown; namespace?: unknown }[]; to?: { group?: unknown; kind?: unknown; name?: unknown }[] };
        return (spec.from ?? []).some((from) => from?.group === "gateway.networking.k8s.io" && from.kind === "HTTPRoute" && from.namespace === routeNamespace)
            && (spec.to ?? []).some((to) => (to?.group ?? "") === "" && to?.kind === "Service" && (to.name === undefined || to.name === service));
    })());
}

// ---- Istio Gateway and VirtualService

interface IstioServer { port?: { number?: unknown; protocol?: unknown }; hosts?: unknown[] }
interface VirtualServiceHttp { match?: { uri?: { exact?: unknown; prefix?: unknown; regex?: unknown }; method?: { exact?: unknown }; headers?: unknown; queryParams?: unknown }[]; route?: { destination?: { host?: unknown; port?: { number?: unknown } } }[]; redirect?: { scheme?: unknown; authority?: unknown } }

function istioRoutes(context: Context): PublicRoute[] {
    const services = context.objects.filter((object) => object.kind === "VirtualService" && String(object.apiVersion ?? "").startsWith("networking.istio.io/"));
    const gateways = context.objects.filter((object) => object.kind === "Gateway" && String(object.apiVersion ?? "").startsWith("networking.istio.io/"));
    return gateways.flatMap((gateway) => {
        const namespace = namespaceOf(gateway);
        const name = gateway.metadata?.name ?? "";
        const spec = (gateway.spec ?? {}) as { selector?: Record<string, unknown>; servers?: IstioServer[] };
        const selector = Object.entries(spec.selector ?? {}).map(([key, value]) => [key, String(value)]);
        const via = selector.length === 0 ? [] : context.cluster.workloads.filter((w) => selector.every(([key, value]) => w.labels[key] === value));
        const servers = (spec.servers ?? []).filter((server) => ["HTTP", "HTTPS", "HTTP2", "GRPC"].includes(String(server?.port?.protocol).toUpperCase()));
        return services.flatMap((virtualService) => {
            const vsNamespace = namespaceOf(virtualService);
            const vs = (virtualService.spec ?? {}) as { gateways?: unknown[]; hosts?: unknown[]; http?: VirtualServiceHttp[] };
            const bound = (vs.gateways ?? []).map(String).some((ref) => ref === `${namespace}/${name}` || (ref === name && vsNamespace === namespace));
            if (!bound) {
                return [];
            }
            return servers.flatMap((server) => {
                const hosts = serverHosts(server, vsNamespace, (vs.hosts ?? []).map(String));
                if (hosts.length === 0) {
                    return [];
                }
                return (vs.http ?? []).flatMap((http) => {
                    const requests = { hosts, ...istioMatches(http.match) };
                    const base = {
                        gateway: `Gateway ${namespace}/${name} (networking.istio.io)`,
                        route: `VirtualService ${vsNamespace}/${virtualService.metadata?.name ?? ""}`,
                        listener: `${String(server.port?.protocol).toUpperCase()} ${String(server.port?.number)}`,
                        ...requests,
                        via: via.map(workloadId),
                    };
                    if (http.redirect && !http.route) {
                        const to = [http.redirect.scheme, http.redirect.authority].filter((part) => typeof part === "string").join("://");
                        return [{ ...base, backend: `redirect${to ? ` to ${to}` : ""}`, destinations: [] }];
                    }
                    return (http.route ?? []).map((route): PublicRoute => {
                        const host = String(route.destination?.host ?? "");
                        const [serviceName, serviceNamespace = vsNamespace] = host.split(".");
                        if (!serviceOf(context.objects, serviceNamespace, serviceName)) {
                            // A ServiceEntry host or a Service not in the manifests: nothing to follow.
                            return { ...base, backend: `host ${host} (not a Service in the manifests)`, destinations: [] };
                        }
                        const port = route.destination?.port?.number === undefined ? undefined : Number(route.destination.port.number);
                        const resolved = port ?? onlyServicePort(context.objects, serviceNamespace, serviceName);
                        return {
                            ...base,
                            backend: `Service ${serviceNamespace}/${serviceName}${resolved === undefined ? "" : `:${resolved}`}`,
                            destinations: resolved === undefined ? [] : destinationsOf(context, via, serviceNamespace, serviceName, resolved, requests, Number(server.port?.number)),
                        };
                    });
                });
            });
        });
    });
}

/** The VirtualService hosts the server exposes to its namespace (hosts written `ns/host`, `./host`, a wildcard namespace, or bare). */
function serverHosts(server: IstioServer, vsNamespace: string, hosts: readonly string[]): string[] {
    const exposed = (server.hosts ?? []).map(String).map((entry) => {
        const [scope, host] = entry.includes("/") ? entry.split("/", 2) : ["*", entry];
        return { scope, host: host.toLowerCase() };
    }).filter(({ scope }) => scope === "*" || scope === vsNamespace || scope === ".");
    const admits = (host: string, pattern: string) => pattern === "*" || host === pattern || (pattern.startsWith("*.") && host.endsWith(pattern.slice(1)));
    return hosts.map((host) => host.toLowerCase()).filter((host) => exposed.some((entry) => admits(host, entry.host) || admits(entry.host, host)))
        .map((host) => (host === "*" ? "*" : host));
}

function istioMatches(matchList: VirtualServiceHttp["match"]): Omit<RouteRequests, "hosts"> & { unevaluated?: string[] } {
    const list = matchList && matchList.length > 0 ? matchList : [{}];
    const paths = [...new Set(list.map((match) => {
        const uri = match.uri;
        return typeof uri?.exact === "string" ? uri.exact : typeof uri?.prefix === "string" ? (uri.prefix === "/" ? "*" : `${uri.prefix}*`) : typeof uri?.regex === "string" ? `~${uri.regex}` : "*";
    }))];
    const methods = list.every((match) => typeof match.method?.exact === "string") ? [...new Set(list.map((match) => String(match.method!.exact)))] : undefined;
    const unevaluated = list.flatMap((match) => [
        ...(match.headers ? [`headers ${JSON.stringify(match.headers)}`] : []),
        ...(match.queryParams ? [`query ${JSON.stringify(match.queryParams)}`] : []),
    ]);
    return { paths: paths.includes("*") ? ["*"] : paths, ...(methods ? { methods } : {}), ...(unevaluated.length > 0 ? { unevaluated } : {}) };
}

function onlyServicePort(objects: readonly KubeObject[], namespace: string, name: string): number | undefined {
    const ports = serviceOf(objects, namespace, name)?.ports ?? [];
    return ports.length === 1 ? Number(ports[0]?.port) : undefined;
}

// ---- backends

function serviceOf(objects: readonly KubeObject[], namespace: string, name: string): ServiceSpec | undefined {
    const service = objects.find((object) => object.kind === "Service" && namespaceOf(object) === namespace && object.metadata?.name === name);
    return service ? ((service.spec ?? {}) as ServiceSpec) : undefined;
}

/** The Service's workloads, each with whether the route's requests get from the gateway to it. */
function destinationsOf(context: Context, via: readonly Workload[], namespace: string, name: string, servicePort: number, requests: RouteRequests, listenerPort: number): RouteDestination[] {
    const service = serviceOf(context.objects, namespace, name);
    if (!service?.selector || Object.keys(service.selector).length === 0) {
        return [];
    }
    const selector = Object.entries(service.selector).map(([key, value]) => [key, String(value)]);
    const servicePortSpec = (service.ports ?? []).find((port) => Number(port?.port) === servicePort);
    return context.cluster.workloads
        .filter((workload) => workload.namespace === namespace && selector.every(([key, value]) => workload.labels[key] === value))
        .map((workload): RouteDestination => {
            const target = servicePortSpec?.targetPort ?? servicePort;
            const port = typeof target === "number" || /^\d+$/.test(String(target)) ? Number(target) : workload.containerPorts.find((p) => p.name === target)?.port;
            if (port === undefined) {
                return { workload: workloadId(workload), port: servicePort, status: "denied", reason: `the workload has no container port named ${String(target)}` };
            }
            return { workload: workloadId(workload), port, ...decideRoute(context, via, workload, port, requests, listenerPort) };
        });
}

function decideRoute(context: Context, via: readonly Workload[], workload: Workload, port: number, requests: RouteRequests, listenerPort: number): Pick<RouteDestination, "status" | "reason"> {
    if (via.length === 0) {
        return { status: "denied", reason: "no workload of the gateway is in the manifests" };
    }
    const entering = via.filter((gateway) => context.externalReach.get(workloadId(gateway))?.contains(listenerPort));
    if (entering.length === 0) {
        return { status: "denied", reason: `layer 3/4 policy lets no External address reach the gateway on TCP ${listenerPort}` };
    }
    const statuses = entering.map((gateway) => {
        const flow = context.flows.get(`${workloadId(gateway)} ${workloadId(workload)}`);
        const ports = IntervalSet.range(port, port);
        if (!flow || flow.allowed.ports("TCP").intersect(ports).isEmpty()) {
            return { status: "denied" as const, reason: `${workloadId(gateway)} may not connect to TCP ${port} (layer 3/4 or layer 7 policy)` };
        }
        if (flow.l7 === undefined) {
            return { status: "allowed" as const, reason: `no proxy at the workload restricts requests on TCP ${port}` };
        }
        const granted = clipGrants(flow.l7, ports);
        const wanted = routeGrant(requests, ports);
        const left = granted.filter((grant) => grant.when.length === 0).reduce((rest, grant) => subtractGrant(rest, grant), [wanted]);
        const text = formatGrants(granted, ports);
        if (left.length === 0) {
            return { status: "allowed" as const, reason: `the workload's proxy admits the gateway's requests: ${text}` };
        }
        const untouched = granted.every((grant) => isEmptyGrant(intersectGrant({ ...wanted, when: grant.when }, grant)));
        return untouched
            ? { status: "denied" as const, reason: granted.length === 0 ? "the workload's proxy refuses every request of the gateway" : `the workload's proxy admits only ${text}` }
            : { status: "partly" as const, reason: `the workload's proxy admits only ${text}` };
    });
    return statuses.find((s) => s.status !== "allowed") ?? statuses[0];
}

/** The route's requests as one grant (a regular expression path counts as any path). */
function routeGrant(requests: RouteRequests, ports: IntervalSet): Grant {
    const paths = requests.paths.some((path) => path.startsWith("~")) ? undefined : requests.paths;
    return {
        ports,
        methods: methodSet(requests.methods, undefined),
        paths: pathSet(paths, undefined),
        hosts: requests.hosts.includes("*") ? anyValue : hostSet(requests.hosts, undefined),
        when: [],
    };
}

/** `https://bookinfo.example.com/productpage` style, one per host and path, for listings. */
export function routeUrls(route: PublicRoute): string[] {
    const scheme = route.listener.split(" ")[0].toLowerCase().startsWith("https") ? "https" : "http";
    const port = route.listener.split(" ")[1];
    const defaultPort = scheme === "https" ? "443" : "80";
    return route.hosts.flatMap((host) => route.paths.map((path) => `${scheme}://${host}${port === defaultPort ? "" : `:${port}`}${path === "*" ? "/*" : path}`));
}
