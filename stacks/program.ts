import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import {
    AppNamespace, Calico, Istio, MeshGateway, MeshService, Waypoint, WorkloadIdentity, ZeroTrustBaseline,
} from "../components";
import { serviceWaypoints } from "./waypoints";
import { sourcePlan } from "./charts";
import { Environment } from "./schema";
import { meshServiceArgs } from "./services";
import { skipAwait } from "./skipAwait";

/** Everything one environment deploys, for the stack outputs and for tests. */
export interface MeshDeployment {
    mode: "render" | "deploy";
    renderDirectory?: string;
    calico: Calico;
    istio: Istio;
    gateway?: MeshGateway;
    baseline: ZeroTrustBaseline;
    services: Record<string, MeshService>;
    /** Ambient mode: the waypoints, by `namespace/name`. */
    waypoints: Record<string, Waypoint>;
    /** The extra manifests of `ztmesh:manifests`, if any. */
    manifests?: k8s.yaml.v2.ConfigGroup;
}

/** Where rendered manifests go by default: a git-ignored folder per stack. */
export function defaultRenderDirectory(stack: string): string {
    return path.resolve(__dirname, "..", "rendered", stack);
}

/** True when the environment names no cluster, so `pulumi up` renders manifests instead of deploying. */
export function rendersManifests(env: Environment): boolean {
    return !(env.kubeconfig || env.cluster?.context);
}

/**
 * The Kubernetes provider: with a kubeconfig or a context it deploys; with neither it renders
 * every object to YAML files, so `pulumi up` needs no cluster (GitOps, review, CI).
 */
function clusterProvider(env: Environment, stack: string): { provider: k8s.Provider; renderDirectory?: string } {
    if (!rendersManifests(env)) {
        return {
            provider: new k8s.Provider("cluster", {
                ...(env.kubeconfig ? { kubeconfig: pulumi.secret(env.kubeconfig) } : {}),
                ...(env.cluster?.context ? { context: env.cluster.context } : {}),
            }),
        };
    }
    const renderDirectory = env.cluster?.renderDirectory ? path.resolve(env.cluster.renderDirectory) : defaultRenderDirectory(stack);
    return { provider: new k8s.Provider("render", { renderYamlToDirectory: renderDirectory }), renderDirectory };
}

/** The app namespaces the services live in; those with public services may attach routes to the gateway. */
function appNamespaces(env: Environment, gateway?: MeshGateway): AppNamespace[] {
    const names = [...new Set(env.services.map((svc) => svc.namespace))];
    return names.map((name) => {
        const exposes = env.services.some((svc) => svc.namespace === name && svc.public);
        return { name, ...(exposes && gateway ? { labels: gateway.routeNamespaceLabels } : {}) };
    });
}

/** What the stack entry point resolved before composing: see `stacks/index.ts`. */
export interface Prepared {
    /** The `leaveOutKey`s of the charts and CRD manifests a render leaves out (`stacks/preflight.ts`). */
    leftOut?: ReadonlySet<string>;
    /** The content of the Gateway API CRD manifest, read from its source. */
    gatewayApiCrdsManifest?: string;
}

/** Composes one environment: Calico → Istio → MeshGateway → ZeroTrustBaseline → MeshServices. */
export function deployMesh(env: Environment, stack: string, prepared: Prepared = {}): MeshDeployment {
    const { provider, renderDirectory } = clusterProvider(env, stack);
    const opts = { providers: { kubernetes: provider }, ...(env.cluster?.skipAwait ? { transforms: [skipAwait] } : {}) };
    const sources = sourcePlan(env, prepared.leftOut);

    const calico = new Calico("calico", {
        install: env.calico.install,
        version: env.calico.version,
        policyApi: env.calico.policyApi,
        kubernetesProvider: env.calico.kubernetesProvider,
        ipPools: env.calico.ipPools,
        charts: sources.calico,
    }, opts);

    const { dedicatedWaypoints: _dedicated, ...istioConfig } = env.istio ?? {};
    const istio = new Istio("istio", {
        ...istioConfig,
        // In classic mode the gateway chart's namespace is the gateway's namespace.
        ingressNamespace: env.gateway?.namespace,
        monitoring: env.monitoring !== undefined,
        charts: sources.istio,
    }, { ...opts, dependsOn: calico.ready });

    const gateway = env.gateway && new MeshGateway("gateway", {
        gatewayName: env.gateway.name,
        namespace: env.gateway.namespace ?? (istio.ingressMode === "classic" ? "istio-ingress" : undefined),
        createNamespace: istio.ingressMode !== "classic",
        mode: istio.ingressMode,
        serviceType: env.gateway.serviceType,
        crds: sources.gatewayApiCrds ? { source: sources.gatewayApiCrds, manifest: prepared.gatewayApiCrdsManifest } : { install: false },
        listeners: env.gateway.listeners,
    }, { ...opts, dependsOn: [...istio.ready, ...(istio.gateway ? [istio.gateway] : [])] });

    const monitoring: WorkloadIdentity | undefined = env.monitoring && { name: "monitoring", ...env.monitoring };
    const baseline = new ZeroTrustBaseline("baseline", {
        calico,
        istio,
        namespaces: appNamespaces(env, gateway),
        gateway: gateway?.identity,
        monitoring,
        metricsPorts: env.services.flatMap((svc) => svc.ports.filter((port) => port.metrics).map((port) => port.targetPort ?? port.port)),
        controlPlaneNamespaces: env.baseline?.controlPlaneNamespaces,
        apiServerCidrs: env.baseline?.apiServerCidrs,
    }, opts);

    const { waypoints, byService } = serviceWaypoints(env, (namespace, name) => new Waypoint(`${namespace}-${name}`, {
        namespace,
        name,
        revision: istio.revision,
    }, { ...opts, dependsOn: [baseline.namespaces[namespace], ...istio.ready, ...(gateway ? [gateway] : [])] }));

    const services: Record<string, MeshService> = {};
    // Services wait for the Gateway object their routes attach to (it waits for the Gateway API
    // CRDs and its namespace), not for the whole MeshGateway: depending on a component makes the
    // runtime collect all of its children again for every service.
    const gatewayObject = gateway ? [gateway.gateway] : [];
    for (const [name, args] of Object.entries(meshServiceArgs(env.services, byService))) {
        services[name] = new MeshService(name, {
            ...args,
            gateway,
            monitoring,
            trustDomain: istio.trustDomain,
            revision: istio.revision,
            dataplaneMode: istio.dataplaneMode,
        }, { ...opts, dependsOn: [baseline.namespaces[args.namespace], ...istio.ready, ...gatewayObject, ...(args.waypoint ? [byService[name] as Waypoint] : [])] });
    }

    const manifests = env.manifests?.length
        ? new k8s.yaml.v2.ConfigGroup("manifests", {
            files: env.manifests.map((file) => (/^https?:\/\//.test(file) ? file : path.resolve(file))),
        }, { provider, transforms: opts.transforms, dependsOn: [baseline, ...istio.ready, ...Object.values(services)] })
        : undefined;

    return { mode: renderDirectory ? "render" : "deploy", renderDirectory, calico, istio, gateway, baseline, services, waypoints, manifests };
}
