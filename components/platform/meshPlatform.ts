import * as pulumi from "@pulumi/pulumi";
import { ClusterPolicyMode } from "../baseline/zeroTrustBaseline";
import { CalicoPolicyApi } from "../calico/policyApi";
import { GatewayAttachment, gatewayAttachmentOf } from "../gateway/meshGateway";
import { WorkloadIdentity } from "../identity";
import { IstioMesh } from "../istio/istio";
import { MeshServiceArgs } from "../meshService/args";
import { meshEndpoint } from "../meshService/endpoint";
import { MeshEndpoint } from "../meshService/types";
import { PlatformHandle, parsePlatformHandle, platformHandleVersion, platformOutputName, platformReferenceType } from "./handle";

/** An application namespace of the platform and the team that owns it. */
export interface TeamNamespace {
    name: string;
    team: string;
    /** Whether the team's services there may attach public routes to the gateway. */
    gatewayRoutes: boolean;
}

/** What a platform program knows when it writes its handle (see `platformHandle`). */
export interface PlatformHandleArgs {
    mesh: IstioMesh;
    gateway?: GatewayAttachment;
    monitoring?: WorkloadIdentity;
    namespaces: TeamNamespace[];
    clusterPolicy: ClusterPolicyMode;
    calicoPolicyApi: CalicoPolicyApi;
    controlPlaneNamespaces: readonly string[];
    /** The platform's policy objects, e.g. `PolicyObjectRecorder.objectsAfter(...)`. */
    policyObjects: pulumi.Input<Record<string, unknown>[]>;
}

/** The handle a platform program exports as the stack output `ztmeshPlatform` (see `platformOutputName`). */
export function platformHandle(args: PlatformHandleArgs): pulumi.Output<PlatformHandle> {
    const gateway = args.gateway;
    return pulumi.output(args.policyObjects).apply((policyObjects): PlatformHandle => ({
        version: platformHandleVersion,
        mesh: { trustDomain: args.mesh.trustDomain, ...(args.mesh.revision ? { revision: args.mesh.revision } : {}), dataplaneMode: args.mesh.dataplaneMode, ingressMode: args.mesh.ingressMode },
        ...(gateway ? {
            gateway: {
                name: gateway.gatewayName,
                namespace: gateway.namespace,
                mode: gateway.mode,
                identity: { ...gateway.identity, podLabels: { ...gateway.identity.podLabels } },
                listeners: gateway.hostnames.map((hostname) => ({ hostname, parentRef: gateway.parentRefFor(hostname)! })),
            },
        } : {}),
        ...(args.monitoring ? { monitoring: { ...args.monitoring, podLabels: { ...args.monitoring.podLabels } } } : {}),
        namespaces: args.namespaces.map((ns) => ({ ...ns })),
        defaultDeny: { clusterPolicy: args.clusterPolicy, calicoPolicyApi: args.calicoPolicyApi, controlPlaneNamespaces: [...args.controlPlaneNamespaces] },
        policyObjects: policyObjects as unknown as PlatformHandle["policyObjects"],
    }));
}

/** The kinds of the platform's objects that decide who may reach whom, or that routes refer to. */
const policyKinds = new Set(["Namespace", "NetworkPolicy", "GlobalNetworkPolicy", "AuthorizationPolicy", "PeerAuthentication", "Gateway", "ClusterNetworkPolicy"]);

/**
 * Records the platform's policy objects as the program registers them, through a resource
 * transform (`transform`, given to the platform's components in `transforms`), whatever
 * component or chart creates them: the handle then holds what the platform really applies.
 * Secrets and workloads are never recorded.
 */
export class PolicyObjectRecorder {
    private readonly recorded: Record<string, unknown>[] = [];

    readonly transform: pulumi.ResourceTransform = (args) => {
        const kind = (args.props as { kind?: unknown }).kind;
        if (args.custom && args.type.startsWith("kubernetes:") && typeof kind === "string" && policyKinds.has(kind)) {
            this.recorded.push(args.props as Record<string, unknown>);
        }
        return undefined;
    };

    /**
     * The recorded objects, once `components` and all their children are registered: depending
     * on a component waits for every child, and a child is registered after its transform ran.
     */
    objectsAfter(components: pulumi.Resource[]): pulumi.Output<Record<string, unknown>[]> {
        const settled = new pulumi.ComponentResource("ztmesh:index:PlatformObjects", "platform-objects", {}, { dependsOn: components });
        return settled.urn.apply(() => this.objectsOf());
    }

    /** The objects recorded so far. */
    objectsOf(): pulumi.Output<Record<string, unknown>[]> {
        return pulumi.output(this.recorded.map((object) => pulumi.output(object))).apply((objects) => objects as Record<string, unknown>[]);
    }
}

/**
 * The platform handle an application stack runs on, as a resource of the stack: the policy
 * pack's stack rules get the outputs of the resources a program registers, but not of those it
 * reads, and a StackReference is read (the engine passes stack policies the registered
 * resources only), so the handle is registered again here.
 */
export class PlatformReference extends pulumi.ComponentResource {
    constructor(stack: string, handle: PlatformHandle, opts?: pulumi.ComponentResourceOptions) {
        super(platformReferenceType, stack, {}, opts);
        this.registerOutputs({ stack, [platformOutputName]: handle });
    }
}

/**
 * The platform an application stack deploys into: the mesh, the gateway, the teams'
 * namespaces, read from the platform stack's handle. Services of other teams are named
 * `namespace/name` and resolved through the deterministic identities (ServiceAccount = the
 * service name, pods labelled `app: <name>`), so a team's stack never reads another team's.
 */
export class MeshPlatform {
    private constructor(readonly handle: PlatformHandle, readonly source: string) {}

    /** The platform of a platform stack's outputs (an object holding `ztmeshPlatform`); an unknown handle version is an error. */
    static of(outputs: Record<string, unknown>, source = "the platform stack's outputs"): MeshPlatform {
        return new MeshPlatform(parsePlatformHandle(outputs?.[platformOutputName], source), source);
    }

    /**
     * The platform of the stack `name` (`<organization>/<project>/<stack>`), read through a
     * `StackReference`. The handle is also registered as the outputs of a `PlatformReference`
     * component, where the policy pack reads it.
     */
    static async fromStack(name: string, opts?: pulumi.CustomResourceOptions): Promise<MeshPlatform> {
        const reference = new pulumi.StackReference(name, { name }, opts);
        const { value, secretValue } = await reference.getOutputDetails(platformOutputName);
        const platform = new MeshPlatform(parsePlatformHandle(value ?? secretValue, `stack ${name}`), `stack ${name}`);
        new PlatformReference(name, platform.handle, { parent: opts?.parent });
        return platform;
    }

    /** The teams and their namespaces. */
    get teams(): Record<string, string[]> {
        const teams: Record<string, string[]> = {};
        for (const ns of this.handle.namespaces) {
            (teams[ns.team] ??= []).push(ns.name);
        }
        return teams;
    }

    /** The namespace's entry, if the platform created it. */
    namespace(name: string): PlatformHandle["namespaces"][number] | undefined {
        return this.handle.namespaces.find((ns) => ns.name === name);
    }

    /** The gateway services attach public routes to, if the platform has one. */
    get gateway(): GatewayAttachment | undefined {
        const gateway = this.handle.gateway;
        return gateway && gatewayAttachmentOf({ gatewayName: gateway.name, namespace: gateway.namespace, mode: gateway.mode, hostnames: gateway.listeners.map((l) => l.hostname) });
    }

    /** What every MeshService of the platform takes from it. */
    get serviceDefaults(): Pick<MeshServiceArgs, "gateway" | "monitoring" | "trustDomain" | "revision" | "dataplaneMode"> {
        const { mesh, monitoring } = this.handle;
        return { gateway: this.gateway, monitoring, trustDomain: mesh.trustDomain, revision: mesh.revision, dataplaneMode: mesh.dataplaneMode };
    }

    /**
     * The endpoint of a service of another team's stack, from its namespace and name alone
     * (its deterministic identity), serving the container `ports` given. Throws when the
     * platform does not know the namespace.
     */
    remoteEndpoint(namespace: string, name: string, ports: readonly number[] = []): MeshEndpoint {
        if (!this.namespace(namespace)) {
            throw new Error(`namespace "${namespace}" is not an application namespace of the platform (${this.source}); its namespaces are ${this.handle.namespaces.map((ns) => ns.name).join(", ")}`);
        }
        return meshEndpoint(name, { namespace, ports: ports.map((port) => ({ name: `tcp-${port}`, port })) });
    }
}
