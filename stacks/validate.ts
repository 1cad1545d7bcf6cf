import * as fs from "fs";
import {
    Problems, checkAmbientArgs, validateBaselineArgs, validateCalicoArgs, validateIstioArgs, validateMeshGatewayArgs,
    validateMeshServiceArgs, validateWaypointArgs,
} from "../components";
import { configError, configPath } from "./config";
import { MeshPlan, manifestLocation } from "./plan";
import { renderDirectoryProblems } from "./renderDirectory";
import { localService } from "./services";
import { Environment } from "./schema";

type ConfigKey = readonly PropertyKey[];

/**
 * Where a field of a component's arguments comes from in the config. `pattern` matches the
 * start of the field (up to a segment boundary); `key` is the config entry it came from. A
 * field the stack passes on as the user wrote it keeps the rest of its path
 * (`callers[0].ports` → `ztmesh:services[2].callers[0].ports`); one the stack derives (a
 * caller's `from`, a baseline namespace) names the entry that produced it, and the message
 * also names the component's field.
 */
interface Origin {
    pattern: RegExp;
    key: (match: RegExpExecArray) => ConfigKey;
    derived?: boolean;
}

/** A problem placed at the config key it comes from. */
export interface Located {
    key: string;
    problem: string;
    fix: string;
    /** For a derived field: the component and its field. */
    seenAs?: string;
}

/** One component's problems, each with the config key it comes from. */
function located(problems: Problems, subject: string, base: ConfigKey, origins: readonly Origin[]): Located[] {
    return problems.entries.map(({ field, problem, fix }) => {
        for (const origin of origins) {
            const match = origin.pattern.exec(field);
            if (match) {
                return origin.derived
                    ? { key: configPath(origin.key(match)), problem, fix, seenAs: `${subject}, field ${field}` }
                    : { key: `${configPath(origin.key(match))}${field.slice(match[0].length)}`, problem, fix };
            }
        }
        return { key: `${configPath(base)}${field.startsWith("[") ? field : `.${field}`}`, problem, fix };
    });
}

/** A field name as the start of a path: `name`, then the end or `.`/`[`. */
const field = (name: string) => new RegExp(`^${name.replace(/[.[\]*]/g, (c) => `\\${c}`)}(?=$|[.[])`);

function calicoProblems(plan: MeshPlan): Located[] {
    return located(validateCalicoArgs(plan.calico), "Calico", ["calico"], []);
}

function istioProblems(plan: MeshPlan): Located[] {
    return located(validateIstioArgs(plan.istio), "Istio", ["istio"], [
        { pattern: field("ingressNamespace"), key: () => ["gateway", "namespace"] },
        { pattern: field("enforcement"), key: () => ["enforcement"] },
        { pattern: field("charts"), key: () => ["charts"], derived: true },
        { pattern: field("monitoring"), key: () => ["monitoring"], derived: true },
    ]);
}

function gatewayProblems(plan: MeshPlan): Located[] {
    if (!plan.gateway) {
        return [];
    }
    return located(validateMeshGatewayArgs(plan.gateway), "MeshGateway", ["gateway"], [
        { pattern: field("gatewayName"), key: () => ["gateway", "name"] },
        { pattern: field("crds"), key: () => ["gateway", "crdsSource"], derived: true },
        { pattern: field("mode"), key: () => ["istio", "ingressMode"], derived: true },
        { pattern: field("createNamespace"), key: () => ["istio", "ingressMode"], derived: true },
    ]);
}

function baselineProblems(plan: MeshPlan, env: Environment): Located[] {
    // A namespace comes from the first service in it, or on a platform stack from its team.
    const namespaceOrigin = (namespace: string): ConfigKey => {
        const team = (env.teams ?? []).findIndex((entry) => entry.namespaces.includes(namespace));
        return team >= 0
            ? ["teams", team, "namespaces", env.teams![team].namespaces.indexOf(namespace)]
            : ["services", env.services.findIndex((svc) => svc.namespace === namespace), "namespace"];
    };
    return located(validateBaselineArgs(plan.baseline), "ZeroTrustBaseline", ["baseline"], [
        { pattern: /^namespaces\[(\d+)\]\.enforcement$/, key: (m) => ["baseline", "namespaceEnforcement", plan.baseline.namespaces[Number(m[1])].name] },
        { pattern: field("enforcement"), key: () => ["enforcement"] },
        { pattern: /^namespaces\[(\d+)\]/, key: (m) => namespaceOrigin(plan.baseline.namespaces[Number(m[1])].name), derived: true },
        { pattern: /^metricsPorts\[(\d+)\]/, key: (m) => {
            const [service, port] = plan.metricsPortSources[Number(m[1])];
            return ["services", service, "ports", port];
        }, derived: true },
        { pattern: field("gateway"), key: () => ["gateway"], derived: true },
        { pattern: field("monitoring"), key: () => ["monitoring"] },
        { pattern: field("calico"), key: () => ["calico"], derived: true },
        { pattern: field("istio"), key: () => ["istio"], derived: true },
    ]);
}

export function waypointProblems(plan: Pick<MeshPlan, "waypoints" | "waypointOf">, env: Environment): Located[] {
    return Object.values(plan.waypoints).flatMap((waypoint) => {
        const service = env.services.findIndex((svc) => plan.waypointOf[svc.name] === `${waypoint.args.namespace}/${waypoint.args.name}`);
        const dedicated = (env.istio?.dedicatedWaypoints ?? []).indexOf(env.services[service].name);
        return located(validateWaypointArgs(waypoint.args), `Waypoint "${waypoint.resourceName}"`, ["services", service], [
            { pattern: field("namespace"), key: () => ["services", service, "namespace"], derived: true },
            { pattern: field("name"), key: () => (dedicated >= 0 ? ["istio", "dedicatedWaypoints", dedicated] : ["services", service, "name"]), derived: true },
            { pattern: field("revision"), key: () => ["istio", "revision"], derived: true },
        ]);
    });
}

export function serviceProblems(plan: Pick<MeshPlan, "services">, env: Environment): Located[] {
    const indexOf = (name: string) => env.services.findIndex((svc) => svc.name === name);
    return env.services.flatMap((svc, index) => {
        const args = plan.services[svc.name];
        const problems = validateMeshServiceArgs(svc.name, args);
        checkAmbientArgs(problems, args);
        const callerOf = (callee: string) => (env.services[indexOf(callee)].callers ?? []).findIndex((caller) => localService(env.services, caller.service) === svc);
        const callerService = (callerIndex: string) => {
            const local = localService(env.services, svc.callers![Number(callerIndex)].service);
            return local ? env.services.indexOf(local) : -1;
        };
        // A caller of another team's stack has no declaration here: its entry is the origin.
        const callerEntry = (callerIndex: string): ConfigKey => ["services", index, "callers", Number(callerIndex), "service"];
        // The derived dependencies come first; those declared on this service (other teams' services) follow.
        const derivedCount = (args.dependencies?.length ?? 0) - (svc.dependencies?.length ?? 0);
        return located(problems, `MeshService "${svc.name}"`, ["services", index], [
            { pattern: field("name"), key: () => ["services", index, "name"] },
            // A caller's identity is the declaration of the service it names.
            { pattern: /^callers\[(\d+)\]\.from\.namespace/, key: (m) => (callerService(m[1]) < 0 ? callerEntry(m[1]) : ["services", callerService(m[1]), "namespace"]), derived: true },
            { pattern: /^callers\[(\d+)\]\.from\.serviceAccount/, key: (m) => {
                const caller = callerService(m[1]);
                // Without a serviceAccount, a service's account is its name.
                return caller < 0 ? callerEntry(m[1]) : ["services", caller, env.services[caller].serviceAccount !== undefined ? "serviceAccount" : "name"];
            }, derived: true },
            { pattern: /^callers\[(\d+)\]\.from/, key: (m) => callerEntry(m[1]), derived: true },
            // Dependencies are derived from the callers of the service they reach, or declared for other teams' services.
            { pattern: /^dependencies\[(\d+)\]/, key: (m) => {
                if (Number(m[1]) >= derivedCount) {
                    return ["services", index, "dependencies", Number(m[1]) - derivedCount];
                }
                const callee = args.dependencies![Number(m[1])].to.name;
                return ["services", indexOf(callee), "callers", callerOf(callee)];
            }, derived: true },
            { pattern: field("dependencies"), key: () => ["services", index, "callers"], derived: true },
            { pattern: field("gateway"), key: () => ["gateway"], derived: true },
            { pattern: field("monitoring"), key: () => ["monitoring"], derived: true },
            { pattern: field("waypoint"), key: () => ["istio", "dataplaneMode"], derived: true },
            { pattern: field("trustDomain"), key: () => ["istio", "trustDomain"], derived: true },
            { pattern: field("revision"), key: () => ["istio", "revision"], derived: true },
            { pattern: field("dataplaneMode"), key: () => ["istio", "dataplaneMode"], derived: true },
        ]);
    });
}

/** The local files the stack reads must exist: found now rather than by a provider halfway through. */
function localFileProblems(env: Environment): string[] {
    const source = env.gateway?.crdsSource;
    if (source === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || fs.existsSync(manifestLocation(source))) {
        return [];
    }
    return [`${configPath(["gateway", "crdsSource"])}: "${source}" (${manifestLocation(source)}) does not exist; name the standard-install.yaml of a Gateway API release, or leave it out to download it`];
}

/**
 * Every problem of the plan, as config errors naming the `ztmesh:` key: each component's own
 * validator on exactly the arguments the stack will pass it, and the render folder. The same
 * mistake seen by two components (a namespace is the baseline's and the service's) is listed once.
 */
export function planProblems(plan: MeshPlan, env: Environment): string[] {
    const components = [
        ...calicoProblems(plan),
        ...istioProblems(plan),
        ...gatewayProblems(plan),
        ...baselineProblems(plan, env),
        ...waypointProblems(plan, env),
        ...serviceProblems(plan, env),
    ];
    return [
        ...(plan.renderDirectory !== undefined ? renderDirectoryProblems(env.cluster?.renderDirectory, plan.stack) : []),
        ...localFileProblems(env),
        ...formatLocated(components),
    ];
}

/**
 * Located problems as config errors. A derived value is listed where the user wrote it; its
 * echo in another component (the same key, or a derived key around it) is dropped.
 */
export function formatLocated(components: readonly Located[]): string[] {
    const seen = new Set<string>();
    const unique = components
        .filter(({ key, problem }) => !seen.has(`${key}: ${problem}`) && seen.add(`${key}: ${problem}`))
        .filter((entry, _, all) => !entry.seenAs || !all.some((other) => !other.seenAs && other.problem === entry.problem && other.key.startsWith(entry.key)));
    return unique.map(({ key, problem, fix, seenAs }) => `${key}: ${problem}; ${fix}${seenAs ? ` (${seenAs})` : ""}`);
}

/** Throws one `ConfigError` listing every problem of the plan; returns the plan when there is none. */
export function validatedPlan(plan: MeshPlan, env: Environment): MeshPlan {
    const problems = planProblems(plan, env);
    if (problems.length > 0) {
        throw configError(problems);
    }
    return plan;
}
