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
import { callersAnnotation, externalWorkloadAnnotation } from "../wellKnown";
import { declaredCallers } from "./intent";
import { clusterIpServiceArgs, versionDeploymentArgs } from "./workload";

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
    public readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
    public readonly authorizationPolicy: k8s.apiextensions.CustomResource;
    public readonly destinationRule: k8s.apiextensions.CustomResource;
    public readonly virtualService: k8s.apiextensions.CustomResource;
    /** The public route: an HTTPRoute, or in classic mode a VirtualService bound to the gateway. */
    public readonly publicRoute?: k8s.apiextensions.CustomResource;
    /** Egress from the gateway's pods to this service, in the gateway's namespace. */
    public readonly gatewayEgressPolicy?: k8s.networking.v1.NetworkPolicy;

    constructor(name: string, args: MeshServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ztmesh:index:MeshService", name, {}, opts);
        validateMeshServiceArgs(name, args).throwIfAny(`MeshService "${args.namespace}/${name}"`, this);

        const endpoint = meshEndpoint(name, args);
        const namespace = args.namespace;
        const metadata = (objectName: string, ns = namespace) => ({ name: objectName, namespace: ns, labels: { "app.kubernetes.io/managed-by": "ztmesh" } });
        const child = { parent: this };
        // Every child is constructed here, from pure builders of its arguments, not inside a
        // helper: Pulumi records a stack trace for each promise of a registration, and under
        // ts-node each frame is source-mapped, so one more frame of depth costs ~7% of the run.
        this.endpoint = endpoint;
        this.principal = principalOf(endpoint, args.trustDomain ?? defaultTrustDomain);

        if (args.versions) {
            this.serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: metadata(endpoint.serviceAccount) }, child);
            for (const version of args.versions) {
                this.deployments[version.name] = new k8s.apps.v1.Deployment(`${name}-${version.name}`, versionDeploymentArgs(endpoint, version, args.revision), {
                    parent: this,
                    dependsOn: [this.serviceAccount],
                });
            }
        }
        this.service = new k8s.core.v1.Service(`${name}-service`, clusterIpServiceArgs(name, namespace, endpoint.podLabels, endpoint.ports, {
            [callersAnnotation]: JSON.stringify(declaredCallers(endpoint, args)),
            ...(args.existingWorkload ? { [externalWorkloadAnnotation]: "true" } : {}),
        }), child);
        if (needsVersionServices(args)) {
            const port = publicPort(endpoint.ports, args.public!);
            for (const version of args.versions!) {
                this.versionServices[version.name] = new k8s.core.v1.Service(`${name}-${version.name}-service`, clusterIpServiceArgs(
                    versionServiceName(name, version.name),
                    namespace,
                    { ...endpoint.podLabels, version: version.name },
                    [port],
                ), child);
            }
        }

        this.networkPolicy = new k8s.networking.v1.NetworkPolicy(`${name}-networkpolicy`, {
            metadata: metadata(name),
            spec: serviceNetworkPolicySpec(endpoint, args),
        }, child);
        this.authorizationPolicy = new k8s.apiextensions.CustomResource(`${name}-authorizationpolicy`, objectArgs("security.istio.io/v1", "AuthorizationPolicy", metadata(name), authorizationPolicySpec(endpoint, args)), child);
        this.destinationRule = new k8s.apiextensions.CustomResource(`${name}-destinationrule`, objectArgs("networking.istio.io/v1", "DestinationRule", metadata(name), destinationRuleSpec(endpoint, args)), child);
        this.virtualService = new k8s.apiextensions.CustomResource(`${name}-virtualservice`, objectArgs("networking.istio.io/v1", "VirtualService", metadata(name), virtualServiceSpec(endpoint, args)), child);

        if (args.public && args.gateway) {
            const gateway = args.gateway;
            this.publicRoute = gateway.mode === "classic"
                ? new k8s.apiextensions.CustomResource(`${name}-public-virtualservice`, objectArgs("networking.istio.io/v1", "VirtualService", metadata(`${name}-public`), classicPublicVirtualServiceSpec(endpoint, args, gateway)), child)
                : new k8s.apiextensions.CustomResource(`${name}-httproute`, objectArgs("gateway.networking.k8s.io/v1", "HTTPRoute", metadata(name), httpRouteSpec(endpoint, args, gateway)), child);
            this.gatewayEgressPolicy = new k8s.networking.v1.NetworkPolicy(`${name}-gateway-egress`, {
                metadata: metadata(`to-${namespace}-${name}`.slice(0, 63), gateway.namespace),
                spec: gatewayEgressSpec(endpoint, gateway.identity, publicPort(endpoint.ports, args.public)),
            }, child);
        }

        // The names as the plain values they were created with: reading them off the objects'
        // Outputs would lift each through its own chain of promises, for values known here.
        this.registerOutputs({
            principal: this.principal,
            serviceName: name,
            networkPolicyName: name,
            authorizationPolicyName: name,
        });
    }
}

function objectArgs(apiVersion: string, kind: string, metadata: k8s.types.input.meta.v1.ObjectMeta, spec: object): k8s.apiextensions.CustomResourceArgs {
    return { apiVersion, kind, metadata, spec };
}
