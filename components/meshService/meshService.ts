import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { defaultTrustDomain, principalOf } from "../identity";
import { MeshServiceArgs } from "./args";
import { authorizationPolicySpec } from "./authorizationPolicy";
import { meshEndpoint } from "./endpoint";
import { gatewayEgressSpec, serviceNetworkPolicySpec } from "./networkPolicy";
import { classicPublicVirtualServiceSpec, httpRouteSpec, needsVersionServices, publicPort, versionServiceName } from "./publicRoutes";
import { destinationRuleSpec, virtualServiceSpec } from "./traffic";
import { MeshEndpoint } from "./types";
import { validateMeshServiceArgs } from "./validate";
import { callersAnnotation, externalWorkloadAnnotation, istioPorts } from "../../common/wellKnown";
import { declaredCallers } from "./intent";
import { PolicyEnforcement, authorizationPolicy, dryRunName, podNetworkPolicy } from "../enforcement";
import { clusterIpService, versionDeployment } from "./workload";
import {
    ambientNetworkPolicySpec, ambientPodLabels, ambientVersionServicePorts, hboneDestination, meshHttpRoutes,
    routesWithRetries, waypointAuthorizationPolicySpec, waypointNetworkPolicySpec, waypointServiceLabels, ztunnelViaWaypointSpec,
} from "./ambient";

/**
 * One service and everything it needs in a zero-trust mesh, from one declaration:
 * - identity: a ServiceAccount (its SPIFFE principal);
 * - workload: one Deployment per version (or an existing workload by selector) and a Service,
 *   plus one Service per version when a public route splits traffic between versions;
 * - Layer 3/4: a NetworkPolicy admitting exactly the declared callers, gateway and monitoring,
 *   with egress only to declared dependencies, DNS and istiod;
 * - Layer 7: an ALLOW AuthorizationPolicy for the same callers' principals, methods and paths;
 * - traffic: DestinationRule (ISTIO_MUTUAL, subsets), VirtualService (weights, retries, ...),
 *   and an HTTPRoute on the MeshGateway when public.
 * In ambient mode the same declaration becomes what ztunnel and a waypoint enforce (see
 * `ambient.ts`): NetworkPolicy over HBONE, Layer 4 policy at ztunnel, Layer 7 policy and GAMMA
 * HTTPRoutes attached to the Service behind its waypoint.
 * In audit mode (`enforcement: "audit"`) the service's own NetworkPolicies are staged and its
 * AuthorizationPolicies dry-run (components/enforcement.ts); everything else is the same.
 * The resource name is the Service name.
 */
export class MeshService extends pulumi.ComponentResource {
    /** Address and identity, for other services' `callers` and `dependencies`. */
    public readonly endpoint: MeshEndpoint;
    /** SPIFFE principal of the service's pods. */
    public readonly principal: string;
    public readonly serviceAccount?: k8s.core.v1.ServiceAccount;
    /** Deployments by version name. */
    public readonly deployments: Record<string, k8s.apps.v1.Deployment> = {};
    public readonly service: k8s.core.v1.Service;
    /** Per-version Services (public canaries only), by version name. */
    public readonly versionServices: Record<string, k8s.core.v1.Service> = {};
    /** The service's NetworkPolicy: a `NetworkPolicy`, or in audit mode a Calico `StagedKubernetesNetworkPolicy`. */
    public readonly networkPolicy: pulumi.CustomResource;
    /** The service's ALLOW AuthorizationPolicy (`<name>-dry-run`, annotated dry-run, in audit mode). */
    public readonly authorizationPolicy: k8s.apiextensions.CustomResource;
    public readonly destinationRule: k8s.apiextensions.CustomResource;
    /** The in-mesh routes in sidecar mode; ambient mode has `meshRoutes` instead. */
    public readonly virtualService?: k8s.apiextensions.CustomResource;
    /** Ambient mode behind a waypoint: GAMMA HTTPRoutes attached to the Service, one per HTTP port. */
    public readonly meshRoutes: k8s.apiextensions.CustomResource[] = [];
    /** Ambient mode behind a waypoint: ztunnel's policy admitting only the waypoint to the pods. */
    public readonly ztunnelPolicy?: k8s.apiextensions.CustomResource;
    /** Ambient mode behind a waypoint: the waypoint pods' traffic for this service (callers in, pods out). */
    public readonly waypointNetworkPolicy?: pulumi.CustomResource;
    /**
     * The service's policy objects in its own namespace (NetworkPolicies and
     * AuthorizationPolicies): what its namespace's denies wait for (ZeroTrustBaseline's
     * `enforcingAllows`), so enforcement never precedes the allows.
     */
    public readonly policies: pulumi.CustomResource[];
    /** The public route: an HTTPRoute, or in classic mode a VirtualService bound to the gateway. */
    public readonly publicRoute?: k8s.apiextensions.CustomResource;
    /** Egress from the gateway's pods to this service, in the gateway's namespace. */
    public readonly gatewayEgressPolicy?: k8s.networking.v1.NetworkPolicy;

    constructor(name: string, args: MeshServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = validateMeshServiceArgs(name, args);
        const subject = `MeshService "${args.namespace}/${name}"`;
        // Without a name there is no resource to report against: Pulumi would fail on the URN.
        if (!name) {
            problems.throwUnregistered(subject);
        }
        super("ztmesh:index:MeshService", name, {}, opts);
        problems.throwIfAny(subject, this);

        const ambientMode = args.dataplaneMode === "ambient";
        const endpoint = meshEndpoint(name, { ...args, waypoint: ambientMode ? args.waypoint : undefined });
        const namespace = args.namespace;
        const metadata = (objectName: string, ns = namespace) => ({ name: objectName, namespace: ns, labels: { "app.kubernetes.io/managed-by": "ztmesh" } });
        const child = { parent: this };
        const enforcement: PolicyEnforcement = { mode: args.enforcement ?? "enforce", calicoPolicyApi: args.calicoPolicyApi };
        this.endpoint = endpoint;
        this.principal = principalOf(endpoint, args.trustDomain ?? defaultTrustDomain);

        if (args.versions) {
            this.serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: metadata(endpoint.serviceAccount) }, child);
            for (const version of args.versions) {
                this.deployments[version.name] = versionDeployment(`${name}-${version.name}`, endpoint, version, args.revision, {
                    parent: this,
                    dependsOn: [this.serviceAccount],
                }, ambientMode ? ambientPodLabels(endpoint, version.name, args.revision) : undefined);
            }
        }
        this.service = clusterIpService(`${name}-service`, name, namespace, endpoint.podLabels, endpoint.ports, child, {
            [callersAnnotation]: JSON.stringify(declaredCallers(endpoint, args)),
            ...(args.existingWorkload ? { [externalWorkloadAnnotation]: "true" } : {}),
        }, waypointServiceLabels(endpoint, args));
        const ambientVersionPorts = ambientVersionServicePorts(endpoint, args.versions);
        const versionPorts = ambientVersionPorts.length ? ambientVersionPorts : needsVersionServices(args) ? [publicPort(endpoint.ports, args.public!)] : [];
        for (const version of versionPorts.length ? args.versions! : []) {
            this.versionServices[version.name] = clusterIpService(
                `${name}-${version.name}-service`,
                versionServiceName(name, version.name),
                namespace,
                { ...endpoint.podLabels, version: version.name },
                versionPorts,
                child,
                undefined,
                waypointServiceLabels(endpoint, args),
            );
        }

        this.networkPolicy = podNetworkPolicy(`${name}-networkpolicy`, metadata(name),
            ambientMode ? ambientNetworkPolicySpec(endpoint, args) : serviceNetworkPolicySpec(endpoint, args), enforcement, child);
        const versionServiceNames = Object.keys(this.versionServices).map((version) => versionServiceName(name, version));
        this.authorizationPolicy = authorizationPolicy(`${name}-authorizationpolicy`, metadata(name),
            endpoint.waypoint ? waypointAuthorizationPolicySpec(endpoint, args, versionServiceNames) : authorizationPolicySpec(endpoint, args), enforcement.mode, child);
        this.destinationRule = istioObject(`${name}-destinationrule`, "networking.istio.io/v1", "DestinationRule", metadata(name), destinationRuleSpec(endpoint, args), this);
        if (!ambientMode) {
            this.virtualService = istioObject(`${name}-virtualservice`, "networking.istio.io/v1", "VirtualService", metadata(name), virtualServiceSpec(endpoint, args), this);
        } else if (endpoint.waypoint) {
            const objects = ambientWaypointObjects(name, endpoint, args, metadata, enforcement, this);
            this.ztunnelPolicy = objects.ztunnelPolicy;
            this.waypointNetworkPolicy = objects.waypointNetworkPolicy;
            this.meshRoutes = objects.meshRoutes;
        }

        if (args.public && args.gateway) {
            const gateway = args.gateway;
            this.publicRoute = gateway.mode === "classic"
                ? istioObject(`${name}-public-virtualservice`, "networking.istio.io/v1", "VirtualService", metadata(`${name}-public`), classicPublicVirtualServiceSpec(endpoint, args, gateway), this)
                : istioObject(`${name}-httproute`, "gateway.networking.k8s.io/v1", "HTTPRoute", metadata(name), httpRouteSpec(endpoint, args, gateway), this);
            // NetworkPolicy names are DNS-1123 subdomains (up to 253 characters): never truncated,
            // which could end a name in '-' or give two services' policies one name.
            // Enforcing in both modes: it only adds the declared route to the gateway's egress,
            // and the gateway's namespace (MeshGateway) is enforced whatever the service's mode;
            // staged, it would cut the public route of an audited service.
            this.gatewayEgressPolicy = new k8s.networking.v1.NetworkPolicy(`${name}-gateway-egress`, {
                metadata: metadata(`to-${namespace}-${name}`, gateway.namespace),
                spec: ambientMode
                    ? gatewayEgressSpec(hboneDestination(endpoint), gateway.identity, { name: "hbone", port: istioPorts.hbone })
                    : gatewayEgressSpec(endpoint, gateway.identity, publicPort(endpoint.ports, args.public)),
            }, child);
        }

        this.policies = [this.networkPolicy, this.authorizationPolicy, ...(this.ztunnelPolicy ? [this.ztunnelPolicy] : []), ...(this.waypointNetworkPolicy ? [this.waypointNetworkPolicy] : [])];

        // The objects' names are known here: plain values, not their Outputs, which the runtime
        // would await one by one for every service.
        this.registerOutputs({
            dataplaneMode: args.dataplaneMode ?? "sidecar",
            principal: this.principal,
            serviceName: name,
            enforcement: enforcement.mode,
            networkPolicyName: name,
            authorizationPolicyName: enforcement.mode === "audit" ? dryRunName(name) : name,
        });
    }
}

type Metadata = (objectName: string, ns?: string) => k8s.types.input.meta.v1.ObjectMeta & { name: string };

/** Ambient mode behind a waypoint: ztunnel's waypoint-only policy, the waypoint's NetworkPolicy for the service, the GAMMA routes. */
function ambientWaypointObjects(name: string, endpoint: MeshEndpoint, args: MeshServiceArgs, metadata: Metadata, enforcement: PolicyEnforcement, parent: pulumi.Resource) {
    const waypoint = endpoint.waypoint!;
    const withRetries = routesWithRetries(args);
    if (withRetries.length > 0) {
        pulumi.log.warn(
            `MeshService "${args.namespace}/${name}": traffic.routes[${withRetries.join("], [")}].retries are not applied in ambient mode: the standard Gateway API HTTPRoute has no retry field, `
            + "so the waypoint uses Istio's default retry policy; install the Gateway API experimental channel and set HTTPRoute retry, or accept the default",
            parent,
        );
    }
    return {
        ztunnelPolicy: authorizationPolicy(`${name}-ztunnel-authorizationpolicy`, metadata(`${name}-ztunnel`), ztunnelViaWaypointSpec(endpoint, args), enforcement.mode, { parent }),
        waypointNetworkPolicy: podNetworkPolicy(`${name}-waypoint-networkpolicy`, metadata(`${waypoint.name}-${name}`),
            waypointNetworkPolicySpec(endpoint, waypoint, args), enforcement, { parent }),
        meshRoutes: meshHttpRoutes(endpoint, args).map(({ port, spec }) =>
            istioObject(`${name}-${port.name}-httproute`, "gateway.networking.k8s.io/v1", "HTTPRoute", metadata(`${name}-${port.name}`), spec, parent)),
    };
}

function istioObject(
    resourceName: string,
    apiVersion: string,
    kind: string,
    metadata: k8s.types.input.meta.v1.ObjectMeta,
    spec: object,
    parent: pulumi.Resource,
): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(resourceName, { apiVersion, kind, metadata, spec }, { parent });
}
