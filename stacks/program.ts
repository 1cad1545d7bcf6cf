import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Calico, Istio, MeshGateway, MeshService, PlatformHandle, PolicyObjectRecorder, Waypoint, ZeroTrustBaseline, platformHandle } from "../components";
import { controlPlaneNamespaces } from "../common/wellKnown";
import { MeshPlan, Prepared, meshPlan, teamNamespaces } from "./plan";
import { configError, configPath } from "./config";
import { roleOf } from "./roles";
import { Environment } from "./schema";
import { skipAwait } from "./skipAwait";
import { validatedPlan } from "./validate";

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
    /** A platform stack's handle, for its application stacks and the policy pack. */
    platform?: pulumi.Output<PlatformHandle>;
}

/**
 * The Kubernetes provider: with a kubeconfig or a context it deploys; with neither it renders
 * every object to YAML files, so `pulumi up` needs no cluster (GitOps, review, CI).
 */
export function clusterProvider(plan: Pick<MeshPlan, "renderDirectory" | "cluster">): k8s.Provider {
    if (plan.renderDirectory !== undefined) {
        return new k8s.Provider("render", { renderYamlToDirectory: plan.renderDirectory });
    }
    return new k8s.Provider("cluster", {
        ...(plan.cluster.kubeconfig ? { kubeconfig: pulumi.secret(plan.cluster.kubeconfig) } : {}),
        ...(plan.cluster.context ? { context: plan.cluster.context } : {}),
    });
}

/**
 * Composes one environment: Calico → Istio → MeshGateway → ZeroTrustBaseline → MeshServices.
 * Every component's arguments are built and validated first (`stacks/validate.ts`): a mistake
 * is one `ConfigError` naming its `ztmesh:` key, raised before any resource exists.
 */
export function deployMesh(env: Environment, stack: string, prepared: Prepared = {}): MeshDeployment {
    if (roleOf(env) === "application") {
        throw configError([`${configPath(["role"])}: an application stack runs on its platform's mesh, which it reads through a StackReference: run it with pulumi preview or pulumi up`]);
    }
    const plan = validatedPlan(meshPlan(env, stack, prepared), env);
    const provider = clusterProvider(plan);
    // A platform stack records its policy objects for its handle, as they are registered.
    const recorder = roleOf(env) === "platform" ? new PolicyObjectRecorder() : undefined;
    const transforms = [...(env.cluster?.skipAwait ? [skipAwait] : []), ...(recorder ? [recorder.transform] : [])];
    const opts = { providers: { kubernetes: provider }, ...(transforms.length > 0 ? { transforms } : {}) };

    // The denies are registered before the services whose allows they wait for (see
    // ZeroTrustBaseline's `enforcingAllows`): they get the services once these exist.
    const later = deferredServices();
    const calico = new Calico("calico", plan.calico, opts);
    const istio = new Istio("istio", plan.istio, { ...opts, dependsOn: calico.ready });
    const gateway = plan.gateway && new MeshGateway("gateway", plan.gateway, { ...opts, dependsOn: [...istio.ready, ...(istio.gateway ? [istio.gateway] : [])] });
    // In clusterNetworkPolicy mode the baseline writes a NetworkPolicy into the gateway's namespace.
    const baseline = new ZeroTrustBaseline("baseline", {
        ...plan.baseline, calico, istio, enforcingAllows: later.services.then((all) => Object.values(all).flatMap((svc) => svc.policies)),
    }, { ...opts, dependsOn: gateway ? [gateway.gateway] : [] });

    const waypoints: Record<string, Waypoint> = Object.fromEntries(Object.entries(plan.waypoints).map(([key, waypoint]) => [key, new Waypoint(waypoint.resourceName, {
        ...waypoint.args, enforcingAllows: later.services.then((all) => waypointAllows(plan.waypointOf, key, all)),
    }, {
        ...opts, dependsOn: [baseline.namespaces[waypoint.args.namespace], ...istio.ready, ...(gateway ? [gateway] : [])],
    })]));

    const services: Record<string, MeshService> = {};
    // Services wait for the Gateway object their routes attach to (it waits for the Gateway API
    // CRDs and its namespace), not for the whole MeshGateway: depending on a component makes the
    // runtime collect all of its children again for every service. Likewise a waypoint's
    // Gateway, not the Waypoint, whose NetworkPolicy waits for the services' allows.
    const gatewayObject = gateway ? [gateway.gateway] : [];
    try {
        for (const [name, args] of Object.entries(plan.services)) {
            const waypoint = plan.waypointOf[name];
            services[name] = new MeshService(name, args, {
                ...opts, dependsOn: [baseline.namespaces[args.namespace], ...istio.ready, ...gatewayObject, ...(waypoint ? [waypoints[waypoint].gateway] : [])],
            });
        }
    } catch (error) {
        // Never let the denies register without the allows they wait for.
        later.fail(error);
        throw error;
    }
    later.resolve(services);

    const manifests = plan.manifests
        ? new k8s.yaml.v2.ConfigGroup("manifests", { files: plan.manifests }, { provider, transforms: opts.transforms, dependsOn: [baseline, ...istio.ready, ...Object.values(services)] })
        : undefined;

    const platform = recorder && platformHandle({
        mesh: plan.mesh,
        gateway: plan.gatewayAttachment,
        monitoring: plan.baseline.monitoring,
        namespaces: teamNamespaces(env),
        clusterPolicy: plan.baseline.clusterPolicy ?? "calico",
        calicoPolicyApi: plan.baseline.calico.policyApi,
        controlPlaneNamespaces: plan.baseline.controlPlaneNamespaces ?? controlPlaneNamespaces,
        policyObjects: recorder.objectsAfter([calico, istio, ...(gateway ? [gateway] : []), baseline]),
    });

    return { mode: plan.renderDirectory !== undefined ? "render" : "deploy", renderDirectory: plan.renderDirectory, calico, istio, gateway, baseline, services, waypoints, manifests, platform };
}

/** The services of a stack, once they exist, for the policies registered before them. */
export function deferredServices(): { services: Promise<Record<string, MeshService>>; resolve(services: Record<string, MeshService>): void; fail(error: unknown): void } {
    let resolve!: (services: Record<string, MeshService>) => void;
    let fail!: (error: unknown) => void;
    const services = new Promise<Record<string, MeshService>>((resolved, failed) => {
        resolve = resolved;
        fail = failed;
    });
    // The failure is the program's own error, reported where it is thrown.
    services.catch(() => undefined);
    return { services, resolve, fail };
}

/** The allows a waypoint's own NetworkPolicy waits for: the waypoint policies of the services behind it. */
export function waypointAllows(waypointOf: Record<string, string>, waypoint: string, services: Record<string, MeshService>): pulumi.Resource[] {
    return Object.entries(services).flatMap(([name, svc]) => (waypointOf[name] === waypoint && svc.waypointNetworkPolicy ? [svc.waypointNetworkPolicy] : []));
}
