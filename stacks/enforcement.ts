import { EnforcementMode, ambientHonoursDryRun, oldestAmbientAudit, versions } from "../components";
import { configPath } from "./configKeys";
import { roleOf } from "./roles";
import { Environment, ServiceConfig } from "./schema";
import { serviceWaypoints } from "./waypoints";

/**
 * How the stack's modes combine (docs/stack-config.md, "Audit mode"): a namespace takes its
 * entry of `ztmesh:baseline.namespaceEnforcement`, else `ztmesh:enforcement`, else `enforce`;
 * a service takes its own `enforcement`, else its namespace's. A service may be enforced in an
 * audited namespace (promoting one service at a time), never audited in an enforced one: the
 * namespace's default-deny would refuse every caller its staged policy admits.
 */
export function stackMode(env: Pick<Environment, "enforcement">): EnforcementMode {
    return env.enforcement ?? "enforce";
}

export function namespaceMode(env: Pick<Environment, "enforcement" | "baseline">, namespace: string): EnforcementMode {
    return env.baseline?.namespaceEnforcement?.[namespace] ?? stackMode(env);
}

export function serviceMode(env: Pick<Environment, "enforcement" | "baseline">, service: Pick<ServiceConfig, "namespace" | "enforcement">): EnforcementMode {
    return service.enforcement ?? namespaceMode(env, service.namespace);
}

/**
 * Gives each waypoint the mode of the services behind it: its namespace's (`make` gave it that),
 * or a dedicated waypoint its service's. A service of another mode behind a shared waypoint is
 * refused (`enforcementProblems`).
 */
export function assignWaypointModes(env: Environment, byService: Record<string, { args: { enforcement?: EnforcementMode } }>): void {
    for (const svc of env.services) {
        if (env.istio?.dedicatedWaypoints?.includes(svc.name) && byService[svc.name]) {
            byService[svc.name].args.enforcement = serviceMode(env, svc);
        }
    }
}

/** The app namespaces the stack creates: its teams' on a platform stack, its services' otherwise. */
function stackNamespaces(env: Environment): string[] {
    return env.teams ? env.teams.flatMap((team) => team.namespaces) : [...new Set(env.services.map((svc) => svc.namespace))];
}

/** Every combination of modes that would relax enforcement without saying so, or cut a declared flow. */
export function enforcementProblems(env: Environment): string[] {
    const problems: string[] = [];
    const namespaces = stackNamespaces(env);
    for (const namespace of Object.keys(env.baseline?.namespaceEnforcement ?? {})) {
        if (!namespaces.includes(namespace)) {
            // A misspelt namespace would otherwise leave the intended one in the stack's mode.
            problems.push(`${configPath(["baseline", "namespaceEnforcement", namespace])}: "${namespace}" is not an app namespace of this stack; `
                + `name one of ${namespaces.length ? namespaces.join(", ") : "(none)"}, or remove the entry`);
        }
    }
    const istioVersion = env.istio?.version ?? versions.istio;
    if (env.istio?.dataplaneMode === "ambient" && !ambientHonoursDryRun(istioVersion)) {
        const audited = [...env.services.filter((svc) => serviceMode(env, svc) === "audit").map((svc) => `service ${svc.name}`),
            ...namespaces.filter((ns) => namespaceMode(env, ns) === "audit").map((ns) => `namespace ${ns}`)];
        if (audited.length > 0) {
            problems.push(`${configPath(["istio", "version"])}: Istio ${istioVersion} hands dry-run AuthorizationPolicies to ztunnel, which enforces them, so auditing ${[...new Set(audited)].join(", ")} would refuse their callers; `
                + `use Istio ${oldestAmbientAudit} or later (default ${versions.istio}), or enforce`);
        }
    }
    const { byService } = serviceWaypoints(env, (namespace, name) => ({ namespace, name }));
    const dedicated = new Set(env.istio?.dedicatedWaypoints ?? []);
    env.services.forEach((svc, index) => {
        const own = svc.enforcement;
        const inherited = namespaceMode(env, svc.namespace);
        if (own === undefined || own === inherited) {
            return;
        }
        const key = configPath(["services", index, "enforcement"]);
        if (own === "audit") {
            if (roleOf(env) === "application") {
                // The namespace (and its default-deny) is the platform stack's, whose mode this stack cannot see.
                return;
            }
            problems.push(`${key}: the service is audited but namespace "${svc.namespace}" is enforced: its default-deny would refuse every caller the service's staged policy admits; `
                + `audit the namespace (${configPath(["baseline", "namespaceEnforcement", svc.namespace])}: audit) or remove the entry`);
        } else if (byService[svc.name] && !dedicated.has(svc.name)) {
            // The namespace waypoint's pods are isolated by every enforcing NetworkPolicy that
            // selects them: one enforced service behind it would cut the audited services' callers there.
            problems.push(`${key}: the service shares the waypoint of namespace "${svc.namespace}", which is audited, and a waypoint has one mode; `
                + `give the service a waypoint of its own (${configPath(["istio", "dedicatedWaypoints"])}) to enforce it alone, or set the mode on the namespace`);
        }
    });
    return problems;
}
