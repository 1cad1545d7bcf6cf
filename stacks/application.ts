import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MeshEndpoint, MeshPlatform, MeshService, MeshServiceArgs, Waypoint, checkDns1123Label, Problems, teamLabel, waypointIdentity } from "../components";
import { configError, configPath } from "./config";
import { manifestLocation, PlannedWaypoint, rendersManifests } from "./plan";
import { clusterProvider, deferredServices, waypointAllows } from "./program";
import { renderDirectoryProblems, resolveRenderDirectory } from "./renderDirectory";
import { Environment } from "./schema";
import { localService, meshServiceArgs } from "./services";
import { skipAwait } from "./skipAwait";
import { formatLocated, serviceProblems, waypointProblems } from "./validate";
import { serviceWaypoints } from "./waypoints";
import { assignWaypointModes, serviceMode } from "./enforcement";

/** One team's stack: its services' arguments, built against the platform's handle. */
export interface TeamPlan {
    stack: string;
    team: string;
    renderDirectory?: string;
    cluster: { kubeconfig?: string; context?: string };
    services: Record<string, MeshServiceArgs>;
    waypoints: Record<string, PlannedWaypoint>;
    waypointOf: Record<string, string>;
    manifests?: string[];
}

/** `namespace/name`, split; undefined when the reference has no namespace. */
function split(reference: string): { namespace: string; name: string } | undefined {
    const slash = reference.indexOf("/");
    return slash < 0 ? undefined : { namespace: reference.slice(0, slash), name: reference.slice(slash + 1) };
}

/**
 * What the team may not do on this platform, each problem at its `ztmesh:` key: an unknown
 * team, a service outside the team's namespaces (the ownership rule; the policy pack's
 * `team-objects-in-own-namespaces` checks the same independently), a public service where the
 * platform grants no gateway routes, and references to services of other stacks that the
 * platform cannot resolve.
 */
function ownershipProblems(env: Environment, platform: MeshPlatform): string[] {
    const team = env.team!;
    const teams = platform.teams;
    const own = teams[team];
    if (own === undefined) {
        return [`${configPath(["team"])}: "${team}" is not a team of the platform (${platform.source}; teams: ${Object.keys(teams).join(", ")}); use one of them, or have the platform stack add it to ztmesh:teams`];
    }
    const problems: string[] = [];
    const yours = `use a namespace of team "${team}": ${own.join(", ")}`;
    const whereIs = (namespace: string) => {
        const owner = platform.namespace(namespace)?.team;
        return owner === undefined ? `is not an application namespace of the platform (${platform.source})` : `is owned by team "${owner}"`;
    };
    env.services.forEach((svc, index) => {
        if (!own.includes(svc.namespace)) {
            problems.push(`${configPath(["services", index, "namespace"])}: namespace "${svc.namespace}" ${whereIs(svc.namespace)}; an application stack creates objects only in its team's namespaces: ${yours}`);
        } else if (svc.public && !platform.gateway) {
            problems.push(`${configPath(["services", index, "public"])}: the platform (${platform.source}) has no gateway; remove public, or have the platform stack declare ztmesh:gateway`);
        } else if (svc.public && !platform.namespace(svc.namespace)!.gatewayRoutes) {
            problems.push(`${configPath(["services", index, "public"])}: namespace "${svc.namespace}" may not attach routes to the gateway; have the platform stack set gatewayRoutes: true on team "${team}" in ztmesh:teams, or remove public`);
        }
        const checkRemote = (key: PropertyKey[], reference: string, role: "caller" | "dependency") => {
            const target = split(reference);
            if (target === undefined) {
                problems.push(`${configPath(key)}: "${reference}" names no namespace; name a service of another team's stack as namespace/name`);
                return;
            }
            const names = new Problems();
            checkDns1123Label(names, "", target.name);
            if (names.entries.length > 0 || !platform.namespace(target.namespace)) {
                problems.push(names.entries.length > 0
                    ? `${configPath(key)}: "${target.name}" is not a service name (a DNS-1123 label); write namespace/name`
                    : `${configPath(key)}: namespace "${target.namespace}" (of "${reference}") is not an application namespace of the platform (${platform.source}; namespaces: ${platform.handle.namespaces.map((ns) => ns.name).join(", ")}); name a service in one of them`);
            } else if (own.includes(target.namespace)) {
                problems.push(role === "caller"
                    ? `${configPath(key)}: "${reference}" is in team "${team}"'s own namespace but not declared in this stack; declare it in ztmesh:services, or fix the name`
                    : `${configPath(key)}: "${reference}" is in team "${team}"'s own namespace; declare it in this stack and name this service among its callers, from which the call follows`);
            }
        };
        (svc.callers ?? []).forEach((caller, callerIndex) => {
            if (!localService(env.services, caller.service)) {
                checkRemote(["services", index, "callers", callerIndex, "service"], caller.service, "caller");
            }
        });
        (svc.dependencies ?? []).forEach((dependency, dependencyIndex) => {
            const key = ["services", index, "dependencies", dependencyIndex];
            if (localService(env.services, dependency.service)) {
                problems.push(`${configPath([...key, "service"])}: "${dependency.service}" is a service of this stack; declare the call once, on its callers`);
                return;
            }
            checkRemote([...key, "service"], dependency.service, "dependency");
            if (platform.handle.mesh.dataplaneMode === "ambient") {
                problems.push(`${configPath(key)}: in ambient mode a caller must know whether the callee has a waypoint, which another team's stack does not tell; declare the calling and the called service in one stack`);
            }
            if (dependency.ports.length === 0) {
                problems.push(`${configPath([...key, "ports"])}: no port is given, and an egress rule without ports would allow every port; list the container ports the service is called on`);
            }
        });
    });
    return problems;
}

/** Builds and validates an application stack's plan against its platform; throws one ConfigError listing every problem. */
export function teamPlan(env: Environment, stack: string, platform: MeshPlatform): TeamPlan {
    const ownership = ownershipProblems(env, platform);
    if (ownership.length > 0) {
        throw configError(ownership);
    }
    const { mesh } = platform.handle;
    const calicoPolicyApi = platform.handle.defaultDeny.calicoPolicyApi;
    // The team's namespaces are the platform's: a service (and its waypoint) takes its own mode, else the stack's.
    const { waypoints, byService } = serviceWaypoints({ ...env, istio: { dataplaneMode: mesh.dataplaneMode } }, (namespace, name): PlannedWaypoint => ({
        resourceName: `${namespace}-${name}`,
        args: { namespace, name, revision: mesh.revision, enforcement: serviceMode(env, { namespace }), calicoPolicyApi },
        attachment: { namespace, name, identity: waypointIdentity(name, namespace) },
    }));
    assignWaypointModes(env, byService);
    const remote = (reference: string, ports: readonly number[] = []): MeshEndpoint => {
        const { namespace, name } = split(reference)!;
        return platform.remoteEndpoint(namespace, name, ports);
    };
    const attachments = Object.fromEntries(Object.entries(byService).map(([service, waypoint]) => [service, waypoint.attachment]));
    const services = Object.fromEntries(Object.entries(meshServiceArgs(env.services, attachments, remote)).map(([name, args]): [string, MeshServiceArgs] => [name, {
        ...args, ...platform.serviceDefaults, enforcement: serviceMode(env, env.services.find((svc) => svc.name === name)!), calicoPolicyApi,
    }]));
    const plan: TeamPlan = {
        stack,
        team: env.team!,
        renderDirectory: rendersManifests(env) ? resolveRenderDirectory(env.cluster?.renderDirectory, stack) : undefined,
        cluster: { kubeconfig: env.kubeconfig, context: env.cluster?.context },
        services,
        waypoints,
        waypointOf: Object.fromEntries(Object.entries(byService).map(([service, waypoint]) => [service, `${waypoint.args.namespace}/${waypoint.args.name}`])),
        manifests: env.manifests?.length ? env.manifests.map((entry) => manifestLocation(entry)) : undefined,
    };
    const problems = [
        ...(plan.renderDirectory !== undefined ? renderDirectoryProblems(env.cluster?.renderDirectory, stack) : []),
        ...formatLocated([...waypointProblems(plan, env), ...serviceProblems(plan, env)]),
    ];
    if (problems.length > 0) {
        throw configError(problems);
    }
    return plan;
}

/**
 * Labels every Kubernetes object of a team's stack with its team (`ztmesh.io/team`), the
 * ownership the policy pack checks against the platform's namespaces; objects of
 * `ztmesh:manifests` included, which ztmesh does not otherwise read.
 */
export function teamLabels(team: string): pulumi.ResourceTransform {
    return (args) => {
        if (!args.custom || !args.type.startsWith("kubernetes:")) {
            return undefined;
        }
        const metadata = args.props.metadata ?? {};
        return { props: { ...args.props, metadata: { ...metadata, labels: { ...metadata.labels, [teamLabel]: team } } }, opts: args.opts };
    };
}

/** Everything one team's stack deploys. */
export interface TeamDeployment {
    mode: "render" | "deploy";
    renderDirectory?: string;
    team: string;
    services: Record<string, MeshService>;
    waypoints: Record<string, Waypoint>;
    manifests?: k8s.yaml.v2.ConfigGroup;
}

/**
 * Composes an application stack: the team's waypoints (ambient) and services, on the mesh,
 * gateway and namespaces of its platform, which this stack neither creates nor changes.
 */
export function deployTeam(env: Environment, stack: string, platform: MeshPlatform): TeamDeployment {
    const plan = teamPlan(env, stack, platform);
    const provider = clusterProvider(plan);
    const opts = { providers: { kubernetes: provider }, transforms: [teamLabels(plan.team), ...(env.cluster?.skipAwait ? [skipAwait] : [])] };
    const later = deferredServices();
    const waypoints: Record<string, Waypoint> = Object.fromEntries(Object.entries(plan.waypoints).map(([key, waypoint]) => [key, new Waypoint(waypoint.resourceName, {
        ...waypoint.args, enforcingAllows: later.services.then((all) => waypointAllows(plan.waypointOf, key, all)),
    }, opts)]));
    const services: Record<string, MeshService> = {};
    try {
        for (const [name, args] of Object.entries(plan.services)) {
            const waypoint = plan.waypointOf[name];
            services[name] = new MeshService(name, args, { ...opts, dependsOn: waypoint ? [waypoints[waypoint].gateway] : [] });
        }
    } catch (error) {
        later.fail(error);
        throw error;
    }
    later.resolve(services);
    const manifests = plan.manifests
        ? new k8s.yaml.v2.ConfigGroup("manifests", { files: plan.manifests }, { provider, transforms: opts.transforms, dependsOn: Object.values(services) })
        : undefined;
    return { mode: plan.renderDirectory !== undefined ? "render" : "deploy", renderDirectory: plan.renderDirectory, team: plan.team, services, waypoints, manifests };
}
