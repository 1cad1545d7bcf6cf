import { configPath } from "./configKeys";
import { z } from "zod";
import { Environment, ServiceConfig, StackRole, environmentSchema } from "./schema";

type Parsed = z.infer<typeof environmentSchema>;

/** The role of a stack: `all` unless `ztmesh:role` says otherwise. */
export function roleOf(env: Pick<Parsed, "role">): StackRole {
    return env.role ?? "all";
}

/** The keys only a stack that runs the mesh may set: an application stack takes all of them from its platform. */
const platformKeys = ["charts", "calico", "istio", "gateway", "monitoring", "baseline", "teams"] as const;

const missing = (key: string, expected: string, example: string) => `${configPath([key])}: required, but missing; add it (expected ${expected}, e.g. ${example})`;

/**
 * What the stack's role forbids or requires, each naming its `ztmesh:` key and the fix: a
 * platform stack declares teams and no services, an application stack names its platform and
 * team and none of the platform's keys, an `all` stack neither.
 */
export function roleProblems(env: Parsed): string[] {
    const role = roleOf(env);
    const problems: string[] = [];
    const setKey = (key: keyof Parsed) => env[key] !== undefined;
    if (role !== "application") {
        if (env.calico === undefined) {
            problems.push(missing("calico", "object", "{ install: true }"));
        }
        for (const key of ["platform", "team"] as const) {
            if (setKey(key)) {
                problems.push(`${configPath([key])}: only an application stack names its ${key}; set ${configPath(["role"])}: application, or remove it`);
            }
        }
    }
    if (role === "all") {
        if (env.services === undefined) {
            problems.push(missing("services", "array", "[{ name, namespace, ports, versions }]"));
        }
        if (setKey("teams")) {
            problems.push(`${configPath(["teams"])}: only a platform stack declares teams; set ${configPath(["role"])}: platform (and move the services to the teams' application stacks), or remove it`);
        }
    }
    if (role === "platform") {
        problems.push(...platformProblems(env));
    }
    if (role === "application") {
        for (const key of platformKeys) {
            if (setKey(key)) {
                problems.push(`${configPath([key])}: an application stack takes the mesh from its platform stack (${configPath(["platform"])}); remove it, or set it in the platform stack`);
            }
        }
        if (env.platform === undefined) {
            problems.push(missing("platform", "the platform stack", "\"acme/ztmesh/platform\""));
        } else if (!/^[^/\s]+\/[^/\s]+\/[^/\s]+$/.test(env.platform)) {
            problems.push(`${configPath(["platform"])}: "${env.platform}" is not a stack name; write <organization>/<project>/<stack>, e.g. "organization/ztmesh/platform" on a file backend`);
        }
        if (env.team === undefined) {
            problems.push(missing("team", "a team of the platform's ztmesh:teams", "\"frontend\""));
        }
        if (env.services === undefined) {
            problems.push(missing("services", "array", "[{ name, namespace, ports, versions }]"));
        }
        (env.services ?? []).forEach((svc, index) => problems.push(...applicationServiceProblems(svc, index)));
    } else {
        (env.services ?? []).forEach((svc, index) => (svc.dependencies ?? []).forEach((_, dependency) => problems.push(
            `${configPath(["services", index, "dependencies", dependency])}: dependencies name services of other teams' stacks, in application stacks only; ` +
            `in one stack, declare the call once, on the callee's callers (the caller's egress follows from it)`,
        )));
    }
    return problems;
}

function platformProblems(env: Parsed): string[] {
    const problems: string[] = [];
    if ((env.services ?? []).length > 0) {
        problems.push(`${configPath(["services"])}: a platform stack declares no services; move them to the teams' application stacks (${configPath(["role"])}: application)`);
    }
    if (!env.teams?.length) {
        problems.push(missing("teams", "a list of teams", "[{ name: frontend, namespaces: [shop] }]"));
    }
    const owners = new Map<string, string>();
    const teamNames = new Map<string, number>();
    (env.teams ?? []).forEach((team, index) => {
        const first = teamNames.get(team.name);
        if (first !== undefined) {
            problems.push(`${configPath(["teams", index, "name"])}: team "${team.name}" is already declared at ${configPath(["teams", first])}; list each team once, with all its namespaces`);
        }
        teamNames.set(team.name, first ?? index);
        if (team.namespaces.length === 0) {
            problems.push(`${configPath(["teams", index, "namespaces"])}: team "${team.name}" owns no namespace; give it at least one`);
        }
        team.namespaces.forEach((namespace, nsIndex) => {
            const owner = owners.get(namespace);
            if (owner !== undefined && owner !== team.name) {
                problems.push(`${configPath(["teams", index, "namespaces", nsIndex])}: namespace "${namespace}" is already owned by team "${owner}"; a namespace has one owning team, give each team its own`);
            }
            owners.set(namespace, owner ?? team.name);
        });
        if (team.gatewayRoutes && !env.gateway) {
            problems.push(`${configPath(["teams", index, "gatewayRoutes"])}: the platform has no gateway (${configPath(["gateway"])}) to attach routes to; declare it, or remove gatewayRoutes`);
        }
    });
    return problems;
}

/**
 * An application stack's services keep the deterministic identity (ServiceAccount and pod
 * label `app` are the service name): other teams' stacks name them as callers by namespace and
 * name alone, without reading this stack, and must get the identity the pods really have.
 */
function applicationServiceProblems(svc: ServiceConfig, index: number): string[] {
    const problems: string[] = [];
    if (svc.serviceAccount !== undefined && svc.serviceAccount !== svc.name) {
        problems.push(`${configPath(["services", index, "serviceAccount"])}: "${svc.serviceAccount}" differs from the service name; in an application stack a service's identity is its name, which other teams' stacks rely on when they name it as a caller: remove serviceAccount`);
    }
    if (svc.existingWorkload !== undefined) {
        problems.push(`${configPath(["services", index, "existingWorkload"])}: other teams' stacks could not know the workload's labels; in an application stack let ztmesh deploy the service (versions), or declare it in a stack of role all`);
    }
    svc.ports.forEach((port, portIndex) => {
        if (port.metrics) {
            problems.push(`${configPath(["services", index, "ports", portIndex, "metrics"])}: metrics ports are scraped through the platform's cluster policy, which lists them, and an application stack cannot add to it; serve metrics on the sidecar's ports (15020), or drop metrics: true`);
        }
    });
    return problems;
}

/** The environment with its services as a list (none on a platform stack). */
export function withServices(env: Parsed): Environment {
    return { ...env, services: env.services ?? [] };
}
