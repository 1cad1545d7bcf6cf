import * as path from "path";
import {
    AppNamespace, CalicoArgs, GatewayAttachment, IstioArgs, IstioMesh, MeshGatewayArgs, MeshServiceArgs, WaypointArgs, WaypointAttachment,
    TeamNamespace, WorkloadIdentity, ZeroTrustBaselineArgs, defaultPolicyApi, gatewayAttachment, istioMesh, teamLabel, waypointIdentity,
} from "../components";
import { SourcePlan, sourcePlan } from "./charts";
import { Environment } from "./schema";
import { meshServiceArgs } from "./services";
import { projectRoot } from "./stackFile";
import { resolveRenderDirectory } from "./renderDirectory";
import { serviceWaypoints } from "./waypoints";
import { assignWaypointModes, namespaceMode, serviceMode, stackMode } from "./enforcement";

/** What the stack entry point resolved before composing: see `stacks/index.ts`. */
export interface Prepared {
    /** The `leaveOutKey`s of the charts and CRD manifests a render leaves out (`stacks/preflight.ts`). */
    leftOut?: ReadonlySet<string>;
    /** The content of the Gateway API CRD manifest, read from its source. */
    gatewayApiCrdsManifest?: string;
}

/** One waypoint the stack creates, and what the services behind it see of it. */
export interface PlannedWaypoint {
    /** The Pulumi name of the `Waypoint`. */
    resourceName: string;
    args: WaypointArgs;
    attachment: WaypointAttachment;
}

/**
 * Every component's arguments for one environment, built once from the config: the stack
 * validates exactly these (`stacks/validate.ts`) and then creates the components from them
 * (`stacks/program.ts`). What one component needs of another that does not exist yet (the
 * gateway a service attaches to, the mesh a namespace joins) is the pure description the
 * component itself derives its fields from, so validation and deployment see the same values.
 * The baseline's `calico` and `istio` are filled in with the created components; only what
 * they wait for (`ready`) differs.
 */
export interface MeshPlan {
    stack: string;
    /** The render folder when no cluster is named; absent when deploying. */
    renderDirectory?: string;
    cluster: { kubeconfig?: string; context?: string };
    sources: SourcePlan;
    calico: CalicoArgs;
    istio: IstioArgs;
    mesh: IstioMesh;
    gateway?: MeshGatewayArgs;
    gatewayAttachment?: GatewayAttachment;
    baseline: Omit<ZeroTrustBaselineArgs, "calico" | "istio"> & { calico: NonNullable<ZeroTrustBaselineArgs["calico"]>; istio: ZeroTrustBaselineArgs["istio"] };
    /** Where each baseline `metricsPorts` entry comes from: `[service index, port index]`. */
    metricsPortSources: [number, number][];
    /** By `namespace/name`. */
    waypoints: Record<string, PlannedWaypoint>;
    /** The key of the waypoint in front of each service that has one. */
    waypointOf: Record<string, string>;
    services: Record<string, MeshServiceArgs>;
    /** The extra manifests, relative paths resolved against the project root. */
    manifests?: string[];
}

/** True when the environment names no cluster, so `pulumi up` renders manifests instead of deploying. */
export function rendersManifests(env: Environment): boolean {
    return !(env.kubeconfig || env.cluster?.context);
}

/** A platform stack's application namespaces (`ztmesh:teams`), each with its owning team. */
export function teamNamespaces(env: Pick<Environment, "teams">): TeamNamespace[] {
    return (env.teams ?? []).flatMap((team) => team.namespaces.map((name) => ({ name, team: team.name, gatewayRoutes: team.gatewayRoutes ?? false })));
}

/**
 * The app namespaces: on a platform stack the teams' (labelled with their team, and for teams
 * with gateway routes with the gateway's route label); otherwise those the services live in,
 * where the namespaces of public services may attach routes to the gateway.
 */
function appNamespaces(env: Environment, gateway?: GatewayAttachment): AppNamespace[] {
    if (env.teams) {
        return teamNamespaces(env).map((ns) => ({ name: ns.name, labels: { [teamLabel]: ns.team, ...(ns.gatewayRoutes && gateway ? gateway.routeNamespaceLabels : {}) } }));
    }
    const names = [...new Set(env.services.map((svc) => svc.namespace))];
    return names.map((name) => {
        const exposes = env.services.some((svc) => svc.namespace === name && svc.public);
        return { name, ...(exposes && gateway ? { labels: gateway.routeNamespaceLabels } : {}) };
    });
}

/** A manifest entry as the provider gets it: URLs as they are, paths from the project root. */
export function manifestLocation(entry: string, root: string = projectRoot): string {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : path.resolve(root, entry);
}

/** Builds the arguments of every component of `env` (no resource is created). */
export function meshPlan(env: Environment, stack: string, prepared: Prepared = {}): MeshPlan {
    const sources = sourcePlan(env, prepared.leftOut);
    // Every stack that runs the mesh has ztmesh:calico: its role requires it (stacks/roles.ts).
    const calicoConfig = env.calico!;
    const calico: CalicoArgs = {
        install: calicoConfig.install,
        version: calicoConfig.version,
        policyApi: calicoConfig.policyApi,
        kubernetesProvider: calicoConfig.kubernetesProvider,
        ipPools: calicoConfig.ipPools,
        charts: sources.calico,
    };

    const { dedicatedWaypoints: _dedicated, ...istioConfig } = env.istio ?? {};
    const istio: IstioArgs = {
        ...istioConfig,
        enforcement: stackMode(env),
        // In classic mode the gateway chart's namespace is the gateway's namespace.
        ingressNamespace: env.gateway?.namespace,
        monitoring: env.monitoring !== undefined,
        charts: sources.istio,
    };
    const mesh = istioMesh(istio);

    const gateway: MeshGatewayArgs | undefined = env.gateway && {
        gatewayName: env.gateway.name,
        namespace: env.gateway.namespace ?? (mesh.ingressMode === "classic" ? "istio-ingress" : undefined),
        createNamespace: mesh.ingressMode !== "classic",
        mode: mesh.ingressMode,
        serviceType: env.gateway.serviceType,
        crds: sources.gatewayApiCrds ? { source: sources.gatewayApiCrds, manifest: prepared.gatewayApiCrdsManifest } : { install: false },
        listeners: env.gateway.listeners,
    };
    const attachment = gateway && gatewayAttachment(gateway);

    const monitoring: WorkloadIdentity | undefined = env.monitoring && { name: "monitoring", ...env.monitoring };
    const metricsPortSources = env.services.flatMap((svc, serviceIndex) => svc.ports.flatMap((port, portIndex) => (port.metrics ? [[serviceIndex, portIndex] as [number, number]] : [])));
    const calicoPolicyApi = calico.policyApi ?? defaultPolicyApi(calico.install ?? true);
    const baseline: MeshPlan["baseline"] = {
        calico: { policyApi: calicoPolicyApi, ready: [] },
        istio: { injectionLabels: mesh.injectionLabels, dataplaneMode: mesh.dataplaneMode, enforcement: istio.enforcement, ready: [] },
        enforcement: stackMode(env),
        // Only a namespace of its own mode says so: the baseline's mode covers the rest.
        namespaces: appNamespaces(env, attachment).map((ns) => (env.baseline?.namespaceEnforcement?.[ns.name] ? { ...ns, enforcement: namespaceMode(env, ns.name) } : ns)),
        gateway: attachment?.identity,
        monitoring,
        metricsPorts: metricsPortSources.map(([serviceIndex, portIndex]) => {
            const port = env.services[serviceIndex].ports[portIndex];
            return port.targetPort ?? port.port;
        }),
        clusterPolicy: env.baseline?.clusterPolicy,
        controlPlaneNamespaces: env.baseline?.controlPlaneNamespaces,
        apiServerCidrs: env.baseline?.apiServerCidrs,
    };

    const { waypoints, byService } = serviceWaypoints(env, (namespace, name): PlannedWaypoint => ({
        resourceName: `${namespace}-${name}`,
        args: { namespace, name, revision: mesh.revision, enforcement: namespaceMode(env, namespace), calicoPolicyApi },
        attachment: { namespace, name, identity: waypointIdentity(name, namespace) },
    }));
    assignWaypointModes(env, byService);
    const waypointOf = Object.fromEntries(Object.entries(byService).map(([service, waypoint]) => [service, `${waypoint.args.namespace}/${waypoint.args.name}`]));
    const attachments = Object.fromEntries(Object.entries(byService).map(([service, waypoint]) => [service, waypoint.attachment]));
    const services = Object.fromEntries(Object.entries(meshServiceArgs(env.services, attachments)).map(([name, args]): [string, MeshServiceArgs] => [name, {
        ...args,
        gateway: attachment,
        monitoring,
        trustDomain: mesh.trustDomain,
        revision: mesh.revision,
        dataplaneMode: mesh.dataplaneMode,
        enforcement: serviceMode(env, env.services.find((svc) => svc.name === name)!),
        calicoPolicyApi,
    }]));

    return {
        stack,
        renderDirectory: rendersManifests(env) ? resolveRenderDirectory(env.cluster?.renderDirectory, stack) : undefined,
        cluster: { kubeconfig: env.kubeconfig, context: env.cluster?.context },
        sources,
        calico,
        istio,
        mesh,
        gateway,
        gatewayAttachment: attachment,
        baseline,
        metricsPortSources,
        waypoints: Object.fromEntries(Object.entries(waypoints)),
        waypointOf,
        services,
        manifests: env.manifests?.length ? env.manifests.map((entry) => manifestLocation(entry)) : undefined,
    };
}
