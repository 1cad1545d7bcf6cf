/**
 * Istio's ambient data plane over layer 3/4 connections. A workload is in the ambient mesh when
 * its pod or namespace says `istio.io/dataplane-mode: ambient` (a pod's `none`, or a sidecar,
 * takes it out). Between mesh peers traffic is HBONE: TCP 15008 on the wire, the application
 * port inside the tunnel. So, for a destination in the ambient mesh:
 *
 *   - direct path: the source's HBONE connection to the destination pod (L3/4 must allow TCP
 *     15008) is checked by the destination's ztunnel, at Layer 4 only: AuthorizationPolicies
 *     that select the pod (`selector`, or namespace- and mesh-wide ones) evaluated against the
 *     source's principal and the application ports. A rule ztunnel cannot evaluate (methods,
 *     paths) admits nothing in an ALLOW policy and denies its ports in a DENY policy, as ztunnel
 *     fails closed. Plain-text callers (outside the mesh) present no identity and are refused on
 *     the ports PeerAuthentication makes STRICT.
 *   - via a waypoint: a Service selecting the pod and labelled `istio.io/use-waypoint` (itself
 *     or by its namespace) sends its callers to that waypoint (a Gateway of class
 *     `istio-waypoint`; istiod deploys it, so its pods are added here as a workload with the
 *     Gateway's name as pod label and ServiceAccount). The waypoint enforces the policies whose
 *     `targetRefs` name the Service or the waypoint, with the source's identity and Layer 7;
 *     then the destination's ztunnel checks the waypoint's own identity (waypoints do not
 *     impersonate callers). Both hops need TCP 15008 at L3/4.
 *
 * The flows out of this layer are end to end (source → destination pod, application ports,
 * the grants of whichever path admits them, and which enforcement point decided); hops to and
 * from waypoints are not listed. The kubelet's health probes, which ztunnel lets through from
 * 169.254.7.127 without policy, are not workload traffic and are left out too.
 */
import type { ClusterModel } from "../model/cluster";
import { ambient, istioPorts } from "../../common/wellKnown";
import { KubeObject } from "../manifests";
import type { Connection, Endpoint } from "../netpol/connection";
import { IntervalSet } from "../netpol/intervals";
import { addressBlocks, addressesContain } from "../netpol/ipRanges";
import { allPorts, ConnectionSet } from "../netpol/ports";
import { Cluster, Workload, namespaceOf, workloadId } from "../netpol/workloads";
import { PodDetails } from "../podDetails";
import { subtractConnections } from "../calico/connectionSets";
import { AuthorizationPolicy, isEnforcedAuthorizationPolicy, parseAuthorizationPolicy, policyApplies } from "./authorization";
import { allRequests, clipGrants, Grant, grantPorts, isAllRequests, subtractGrant } from "./grants";
import { isMeshed, PeerIdentity, peerIdentity } from "./mesh";
import { meshConfigOf } from "./meshConfig";
import { isPeerAuthentication, parsePeerAuthentication, PeerAuthentication, strictPorts } from "./peerAuthentication";

/** A flow into an ambient destination, with the enforcement points that admitted it. */
export interface AmbientFlow extends Connection {
    readonly l7: readonly Grant[];
    readonly enforcedBy: readonly string[];
}

interface Waypoint {
    readonly namespace: string;
    readonly name: string;
    readonly workloadName: string;
    readonly identity: PeerIdentity;
}

/** One port of a Service behind a waypoint: what the client dials, and the container port it reaches on one workload. */
interface RoutedPort {
    readonly port: number;
    readonly target: number;
}

interface ServiceRoute {
    readonly service: string;
    readonly waypoint: Waypoint;
    /** The Service's TCP ports and the container port each reaches on the routed workload: the waypoint handles these only. */
    readonly ports: readonly RoutedPort[];
    /** The container ports of `ports`. */
    readonly targets: IntervalSet;
}

const gatewayApiGroup = "gateway.networking.k8s.io";

/** The kubelet probe address, as External ranges hold addresses. */
const probeSource = addressBlocks([ambient.kubeletProbeCidr], "kubelet probe address");

/** Whether the layer has anything to do: some workload, pod or namespace, is in the ambient mesh. */
export function hasAmbientWorkloads(objects: readonly KubeObject[]): boolean {
    return objects.some((object) => labelsOf(object)[ambient.dataplaneModeLabel] === "ambient"
        || labelsOf((object.spec as { template?: KubeObject } | undefined)?.template ?? {})[ambient.dataplaneModeLabel] === "ambient");
}

function labelsOf(object: { metadata?: unknown }): Record<string, unknown> {
    return ((object.metadata as { labels?: Record<string, unknown> } | undefined)?.labels) ?? {};
}

function isWaypointGateway(object: KubeObject): boolean {
    return object.kind === "Gateway" && String(object.apiVersion ?? "").startsWith("gateway.networking.k8s.io/")
        && (object.spec as { gatewayClassName?: unknown } | undefined)?.gatewayClassName === ambient.waypointClassName;
}

/**
 * `objects` and, for each waypoint Gateway, the Deployment istiod makes for it (same name, the
 * Gateway's name as pod label and ServiceAccount, outside ambient capture), so that layer 3/4
 * analysis sees the waypoint's pods.
 */
export function withWaypointWorkloads(objects: readonly KubeObject[]): KubeObject[] {
    const deployments = objects.filter(isWaypointGateway).map((gateway): KubeObject => {
        const name = gateway.metadata?.name ?? "";
        // The labels istiod's gateway template gives the pods (charts/istiod files/kube-gateway.yaml).
        const labels = { [ambient.gatewayNameLabel]: name, "gateway.networking.k8s.io/gateway-class-name": "istio-waypoint", [ambient.dataplaneModeLabel]: "none" };
        return {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name, namespace: namespaceOf(gateway) },
            spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: name, containers: [{ name: "istio-proxy" }] } } },
        } as KubeObject;
    });
    return [...objects, ...deployments];
}

export class AmbientLayer {
    private readonly ztunnelPolicies: AuthorizationPolicy[];
    private readonly waypointPolicies: { object: KubeObject; policy: AuthorizationPolicy }[];
    private readonly peerAuthentication: PeerAuthentication[];
    private readonly ambientIds = new Set<string>();
    private readonly identities = new Map<string, PeerIdentity>();
    private readonly waypointsByWorkload = new Map<string, Waypoint>();
    private readonly routes = new Map<string, ServiceRoute[]>();
    private readonly workloads = new Map<string, Workload>();
    private readonly ztunnelDecisions = new Map<string, IntervalSet>();
    /** MeshConfig `rootNamespace`: its policies apply mesh-wide. */
    private readonly rootNamespace: string;

    /** `objects` must include the waypoint workloads (`withWaypointWorkloads`). */
    constructor(objects: readonly KubeObject[], cluster: Cluster, details: ReadonlyMap<string, PodDetails>) {
        this.rootNamespace = meshConfigOf(objects).rootNamespace;
        const policies = objects.filter(isEnforcedAuthorizationPolicy);
        this.ztunnelPolicies = policies.map(parseAuthorizationPolicy).filter((policy): policy is AuthorizationPolicy => policy !== undefined);
        this.waypointPolicies = policies.filter(hasTargetRefs).flatMap((object) => {
            // Compiled like a namespace-wide policy; which waypoint traffic it covers is decided by its targetRefs.
            const policy = parseAuthorizationPolicy({ ...object, spec: { ...(object.spec as object), targetRefs: undefined, targetRef: undefined } });
            return policy ? [{ object, policy }] : [];
        });
        this.peerAuthentication = objects.filter(isPeerAuthentication).map(parsePeerAuthentication);
        const waypoints = new Map<string, Waypoint>();
        for (const gateway of objects.filter(isWaypointGateway)) {
            const namespace = namespaceOf(gateway);
            const name = gateway.metadata?.name ?? "";
            waypoints.set(`${namespace}/${name}`, { namespace, name, workloadName: workloadId({ namespace, name, kind: "Deployment", labels: {}, containerPorts: [] }), identity: peerIdentity(namespace, name) });
        }
        for (const workload of cluster.workloads) {
            const id = workloadId(workload);
            this.workloads.set(id, workload);
            const pod = details.get(id);
            const namespaceLabels = cluster.namespaces.get(workload.namespace) ?? {};
            const waypoint = waypoints.get(`${workload.namespace}/${workload.name}`);
            if (waypoint && workload.labels[ambient.gatewayNameLabel] === waypoint.name) {
                this.waypointsByWorkload.set(id, waypoint);
                this.identities.set(id, waypoint.identity);
                continue;
            }
            const sidecar = isMeshed(pod, namespaceLabels);
            const mode = pod?.labels[ambient.dataplaneModeLabel] ?? namespaceLabels[ambient.dataplaneModeLabel];
            if (!sidecar && mode === "ambient") {
                this.ambientIds.add(id);
            }
            if (sidecar || mode === "ambient") {
                this.identities.set(id, peerIdentity(workload.namespace, pod?.serviceAccount ?? "default"));
            }
        }
        this.indexServiceRoutes(objects, cluster, waypoints);
    }

    /** The layer for the model of objects with waypoint workloads (`withWaypointWorkloads`), or undefined when no workload is in the ambient mesh. */
    static of(model: ClusterModel): AmbientLayer | undefined {
        const layer = new AmbientLayer(model.objects, model.cluster, model.podDetails);
        return layer.ambientIds.size > 0 ? layer : undefined;
    }

    private indexServiceRoutes(objects: readonly KubeObject[], cluster: Cluster, waypoints: ReadonlyMap<string, Waypoint>): void {
        for (const service of objects.filter((object) => object.kind === "Service")) {
            const namespace = namespaceOf(service);
            const spec = (service.spec ?? {}) as { selector?: Record<string, string>; ports?: { port?: number; targetPort?: unknown }[] };
            const useWaypoint = labelsOf(service)[ambient.useWaypointLabel] ?? cluster.namespaces.get(namespace)?.[ambient.useWaypointLabel];
            const waypoint = typeof useWaypoint === "string" ? waypoints.get(`${namespace}/${useWaypoint}`) : undefined;
            if (!waypoint || !spec.selector) {
                continue;
            }
            for (const workload of cluster.workloads) {
                if (workload.namespace === namespace && Object.entries(spec.selector).every(([key, value]) => workload.labels[key] === value)) {
                    const id = workloadId(workload);
                    const ports = routedPorts(spec.ports ?? [], workload);
                    const targets = IntervalSet.of(ports.map(({ target }) => ({ start: target, end: target })));
                    this.routes.set(id, [...(this.routes.get(id) ?? []), { service: service.metadata?.name ?? "", waypoint, ports, targets }]);
                }
            }
        }
    }

    /** The connections with ambient destinations replaced by end-to-end ambient flows; waypoint hops and kubelet probes left out. */
    apply(connections: readonly Connection[]): Connection[] {
        const between = new Map(connections.map((connection) => [`${connection.src.name} ${connection.dst.name}`, connection]));
        const sourcesInto = new Map<string, Endpoint[]>();
        for (const connection of connections) {
            const sources = sourcesInto.get(connection.dst.name);
            if (sources) {
                sources.push(connection.src);
            } else {
                sourcesInto.set(connection.dst.name, [connection.src]);
            }
        }
        const result: Connection[] = [];
        for (const connection of connections) {
            if (!this.isHop(connection) && !this.ambientIds.has(connection.dst.name)) {
                result.push(connection);
            }
        }
        for (const dst of this.ambientIds) {
            const candidates = new Map<string, Endpoint>();
            for (const name of [dst, ...(this.routes.get(dst) ?? []).map((route) => route.waypoint.workloadName)]) {
                (sourcesInto.get(name) ?? []).forEach((src) => candidates.set(src.name, src));
            }
            for (const src of candidates.values()) {
                const flow = this.flow(src, dst, between);
                if (flow) {
                    result.push(flow);
                }
            }
        }
        return result;
    }

    private isHop(connection: Connection): boolean {
        return this.waypointsByWorkload.has(connection.src.name) || this.waypointsByWorkload.has(connection.dst.name);
    }

    private flow(src: Endpoint, dstName: string, between: ReadonlyMap<string, Connection>): AmbientFlow | undefined {
        if (this.waypointsByWorkload.has(src.name) || src.name === dstName || (src.kind === "external" && isProbeSource(src))) {
            return undefined;
        }
        const dst = this.workloads.get(dstName)!;
        const identity = src.kind === "workload" ? this.identities.get(src.name) : undefined;
        const direct = between.get(`${src.name} ${dstName}`)?.allowed ?? ConnectionSet.none;
        const grants: Grant[] = [];
        const enforcedBy: string[] = [];
        let tcp = IntervalSet.empty;
        if (identity && direct.ports("TCP").contains(istioPorts.hbone)) {
            const ports = this.ztunnelPorts(identity, dst);
            if (!ports.isEmpty()) {
                tcp = tcp.union(ports);
                grants.push({ ...allRequests, ports });
                enforcedBy.push(`ztunnel of ${dstName} (L4, direct)`);
            }
        } else if (!identity) {
            // Plain text into the pod: ztunnel's inbound checks it with no peer identity.
            const ports = direct.ports("TCP").intersect(this.ztunnelPorts(undefined, dst));
            if (!ports.isEmpty()) {
                tcp = tcp.union(ports);
                grants.push({ ...allRequests, ports });
                enforcedBy.push(`ztunnel of ${dstName} (L4, plain text)`);
            }
        }
        for (const [waypoint, routes] of identity ? byWaypoint(this.routes.get(dstName) ?? []) : []) {
            const toWaypoint = between.get(`${src.name} ${waypoint.workloadName}`)?.allowed.ports("TCP").contains(istioPorts.hbone) ?? false;
            const toPod = between.get(`${waypoint.workloadName} ${dstName}`)?.allowed.ports("TCP").contains(istioPorts.hbone) ?? false;
            if (!toWaypoint || !toPod) {
                continue;
            }
            const hopPorts = this.ztunnelPorts(waypoint.identity, dst);
            // The pod's Services (e.g. `reviews` and `reviews-v1`) may share the waypoint: each grant once.
            const admitted = new Map<string, Grant>();
            const services: string[] = [];
            for (const route of routes) {
                const grants = clipGrants(this.waypointGrants(identity!, route).map((grant) => toContainerPorts(grant, route)), hopPorts.intersect(route.targets));
                grants.forEach((grant) => admitted.set(JSON.stringify(grant), grant));
                if (grants.length > 0) {
                    services.push(route.service);
                }
            }
            if (admitted.size > 0) {
                tcp = tcp.union(grantPorts([...admitted.values()]));
                grants.push(...admitted.values());
                enforcedBy.push(`waypoint ${waypoint.namespace}/${waypoint.name} for Service ${services.sort().join(", ")} (L7), then ztunnel of ${dstName} (L4)`);
            }
        }
        // UDP and SCTP are not carried by ztunnel: layer 3/4 alone decides them.
        const other = subtractConnections(direct, ConnectionSet.of("TCP", allPorts));
        const allowed = other.union(ConnectionSet.of("TCP", tcp));
        if (allowed.isEmpty()) {
            return undefined;
        }
        return { src, dst: { kind: "workload", name: dstName, workload: dst }, allowed, l7: grants, enforcedBy };
    }

    /** The application ports the destination's ztunnel admits from `caller` (Layer 4 only), cached per caller and destination. */
    private ztunnelPorts(caller: PeerIdentity | undefined, dst: Workload): IntervalSet {
        const key = `${caller?.principal ?? ""} ${workloadId(dst)}`;
        let ports = this.ztunnelDecisions.get(key);
        if (!ports) {
            ports = this.decideZtunnel(caller, dst);
            this.ztunnelDecisions.set(key, ports);
        }
        return ports;
    }

    private decideZtunnel(caller: PeerIdentity | undefined, dst: Workload): IntervalSet {
        const applying = this.ztunnelPolicies.filter((policy) => policyApplies(policy, dst.namespace, dst.labels, this.rootNamespace));
        const admitting = (action: "ALLOW" | "DENY") => matchingGrants(applying, action, caller);
        const allows = applying.some((policy) => policy.action === "ALLOW");
        // ztunnel cannot see methods or paths: such an ALLOW grant admits nothing, such a DENY denies its ports.
        let ports = allows ? admitting("ALLOW").filter(layer4Only).reduce((set, grant) => set.union(grant.ports), IntervalSet.empty) : allPorts;
        for (const deny of admitting("DENY")) {
            ports = ports.subtract(deny.ports);
        }
        return caller ? ports : ports.subtract(strictPorts(this.peerAuthentication, dst.namespace, dst.labels, this.rootNamespace));
    }

    /**
     * What the waypoint grants `caller` on the route's Service, in Service ports, from the
     * policies attached to the Service or the waypoint, or to every waypoint by a root-namespace
     * policy that targets the `istio-waypoint` GatewayClass. As istiod attaches them
     * (`pilot/pkg/model/policyattachment.go`, `ShouldAttachPolicy`, Istio 1.30.3): a Service
     * target only from the Service's own namespace, a Gateway target only from the waypoint's;
     * a target without `group` is of the core group (`config.CanonicalGroup`), so a Gateway or
     * GatewayClass target must name `gateway.networking.k8s.io`.
     */
    private waypointGrants(caller: PeerIdentity, route: ServiceRoute): Grant[] {
        const attached = this.waypointPolicies
            .filter(({ object }) => targetRefsOf(object).some((ref) => (namespaceOf(object) === route.waypoint.namespace
                && ((ref.kind === "Service" && (ref.group ?? "") === "" && ref.name === route.service)
                    || (ref.kind === "Gateway" && ref.group === gatewayApiGroup && ref.name === route.waypoint.name)))
                || (namespaceOf(object) === this.rootNamespace && ref.kind === "GatewayClass"
                    && ref.group === gatewayApiGroup && ref.name === ambient.waypointClassName)))
            .map(({ policy }) => policy);
        const admitted = (action: "ALLOW" | "DENY") => matchingGrants(attached, action, caller);
        let grants: Grant[] = attached.some((policy) => policy.action === "ALLOW") ? admitted("ALLOW") : [allRequests];
        // A DENY under a request condition the analysis cannot decide must not widen the deny (grants.ts).
        for (const deny of admitted("DENY").filter((grant) => grant.when.length === 0)) {
            grants = subtractGrant(grants, deny);
        }
        return grants;
    }

    /** Which enforcement points admit `src`'s traffic to `dst` (names as the analysis gives them); undefined for a destination outside the ambient mesh. */
    explain(src: string, dst: string, flows: readonly Connection[]): string | undefined {
        if (!this.ambientIds.has(dst)) {
            return undefined;
        }
        const flow = flows.find((candidate) => candidate.src.name === src && candidate.dst.name === dst) as AmbientFlow | undefined;
        const points = flow?.enforcedBy ?? [];
        const routes = [...new Set((this.routes.get(dst) ?? []).map((route) => `waypoint ${route.waypoint.namespace}/${route.waypoint.name}`))];
        return points.length > 0
            ? `ambient: admitted by ${points.join("; ")}`
            : `ambient: refused by ${[...routes, `ztunnel of ${dst}`].join(" and ")} (or no HBONE path on TCP ${istioPorts.hbone})`;
    }
}

/**
 * The Service's TCP ports on `workload`: each Service port with the container port it reaches
 * (`targetPort`, a number or the name of one of the workload's container ports; absent: the
 * Service port). A named target the workload does not declare reaches nothing.
 */
function routedPorts(ports: readonly { port?: number; targetPort?: unknown; protocol?: string }[], workload: Workload): RoutedPort[] {
    return ports.flatMap((port) => {
        if (typeof port.port !== "number" || (port.protocol ?? "TCP") !== "TCP") {
            return [];
        }
        const target = typeof port.targetPort === "string"
            ? workload.containerPorts.find((container) => container.name === port.targetPort && container.protocol === "TCP")?.port
            : typeof port.targetPort === "number" ? port.targetPort : port.port;
        return target === undefined ? [] : [{ port: port.port, target }];
    });
}

/**
 * A waypoint grant in the container ports of the route's workload. A waypoint policy's ports
 * are the Service ports the client dialled (see `waypointGrants`), while the flows list the
 * container ports the connections reach: a grant of Service port 80 that targets 9080 admits
 * 9080, and a policy that names 9080 admits nothing through a Service that listens on 80.
 */
function toContainerPorts(grant: Grant, route: ServiceRoute): Grant {
    const ports = route.ports.filter(({ port }) => grant.ports.contains(port)).map(({ target }) => ({ start: target, end: target }));
    return { ...grant, ports: IntervalSet.of(ports) };
}

function byWaypoint(routes: readonly ServiceRoute[]): Map<Waypoint, ServiceRoute[]> {
    const groups = new Map<Waypoint, ServiceRoute[]>();
    routes.forEach((route) => groups.set(route.waypoint, [...(groups.get(route.waypoint) ?? []), route]));
    return groups;
}

function layer4Only(grant: Grant): boolean {
    return isAllRequests({ ...grant, ports: allPorts });
}

function hasTargetRefs(object: KubeObject): boolean {
    return targetRefsOf(object).length > 0;
}

function targetRefsOf(object: KubeObject): { group?: string; kind?: string; name?: string }[] {
    const spec = (object.spec ?? {}) as { targetRef?: unknown; targetRefs?: unknown };
    const refs = [...(Array.isArray(spec.targetRefs) ? spec.targetRefs : []), ...(spec.targetRef ? [spec.targetRef] : [])];
    return refs.filter((ref): ref is { group?: string; kind?: string; name?: string } => typeof ref === "object" && ref !== null);
}

/** The requests the rules of `policies` with `action` match from `caller`. */
function matchingGrants(policies: readonly AuthorizationPolicy[], action: "ALLOW" | "DENY", caller: PeerIdentity | undefined): Grant[] {
    return policies
        .filter((policy) => policy.action === action)
        .flatMap((policy) => policy.rules)
        .flatMap((rule) => [...rule.matches({ identity: caller })]);
}

function isProbeSource(src: Extract<Endpoint, { kind: "external" }>): boolean {
    return src.range.start === src.range.end && addressesContain(probeSource, src.range.start);
}
