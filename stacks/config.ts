import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { Environment, environmentSchema } from "./schema";

import { configNamespace, configPath } from "./configKeys";
import { roleOf, roleProblems, withServices } from "./roles";
import { localService } from "./services";
import { enforcementProblems } from "./enforcement";

export { configNamespace, configPath } from "./configKeys";

/** The schema object at `path`, to list the keys valid there. */
function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
    let current: z.ZodType = schema;
    for (const segment of [...path, undefined]) {
        // Unwrap optionals and arrays until an object, then step into the next key.
        for (;;) {
            if (current instanceof z.ZodOptional) {
                current = current.unwrap() as z.ZodType;
            } else if (current instanceof z.ZodArray) {
                current = current.element as z.ZodType;
            } else {
                break;
            }
        }
        if (!(current instanceof z.ZodObject)) {
            return [];
        }
        if (segment === undefined) {
            return Object.keys(current.shape);
        }
        if (typeof segment === "string") {
            current = current.shape[segment] as z.ZodType;
        }
    }
    return [];
}

function describeIssue(issue: z.core.$ZodIssue): string {
    if (issue.code === "unrecognized_keys") {
        const valid = objectKeysAt(environmentSchema, issue.path);
        if (issue.path.length === 0) {
            return issue.keys
                .map((key) => `${configNamespace}:${key}: unknown config key; valid keys are ${valid.map((k) => `${configNamespace}:${k}`).join(", ")}`)
                .join("\n  - ");
        }
        return issue.keys
            .map((key) => `${configPath([...issue.path, key])}: unknown key; valid keys here are ${valid.join(", ")}`)
            .join("\n  - ");
    }
    if (issue.code === "invalid_type" && issue.message.includes("received undefined")) {
        return `${configPath(issue.path)}: required, but missing; add it (expected ${issue.expected})`;
    }
    return `${configPath(issue.path)}: ${issue.message}`;
}

/** Raised for an invalid environment; Pulumi prints its message without a stack trace. */
export class ConfigError extends pulumi.RunError {}

/** Config keys whose value must be a Pulumi secret: they are credentials. */
const secretKeys = [`${configNamespace}:kubeconfig`];

/** The config keys of `rawConfig` that must be secrets but are stored in plain text; the values are never printed. */
function plaintextCredentials(rawConfig: Record<string, string>, isSecret: (key: string) => boolean): string[] {
    return secretKeys
        .filter((key) => rawConfig[key] !== undefined && !isSecret(key))
        .map((key) => `${key}: holds credentials in plain text in the stack's config file; set it as a secret: \`pulumi config set --secret ${key} < <file>\``);
}

/**
 * Parses the project's config values (key → value as Pulumi stores them: JSON for objects)
 * into an `Environment`, or throws a `ConfigError` that lists every problem with its key and
 * fix. Keys of other namespaces (e.g. `kubernetes:`) are left alone. `isSecret` says which
 * keys Pulumi holds as secrets (`pulumi config set --secret`); a kubeconfig must be one.
 */
export function parseEnvironment(rawConfig: Record<string, string>, isSecret: (key: string) => boolean = () => false): Environment {
    const credentials = plaintextCredentials(rawConfig, isSecret);
    const input: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rawConfig)) {
        const [namespace, name] = key.split(":", 2);
        if (namespace !== configNamespace || name === undefined) {
            continue;
        }
        input[name] = parseValue(value);
    }
    const droppedKeys = prototypeKeys(input, []);
    const result = environmentSchema.safeParse(input);
    if (!result.success || droppedKeys.length > 0) {
        throw configError([...credentials, ...droppedKeys, ...(result.success ? [] : result.error.issues.map(describeIssue))]);
    }
    const roles = roleProblems(result.data);
    if (roles.length > 0) {
        throw configError([...credentials, ...roles]);
    }
    const env = withServices(result.data);
    const problems = [...credentials, ...checkReferences(env)];
    if (problems.length > 0) {
        throw configError(problems);
    }
    return env;
}

/** One error listing every problem of the configuration. */
export function configError(problems: readonly string[]): ConfigError {
    return new ConfigError(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
}

/**
 * The `__proto__` keys in the parsed config, each as a problem. JSON.parse keeps such a key as
 * an own property, but the schema's records copy entries into plain objects, where it is
 * silently lost: `podLabels: {"__proto__": "x", "app": "a"}` would select by `app` alone. No
 * Kubernetes label, header or env name can be spelled so, so the key is refused wherever it is.
 */
function prototypeKeys(value: unknown, path: readonly PropertyKey[]): string[] {
    if (Array.isArray(value)) {
        return value.flatMap((item, index) => prototypeKeys(item, [...path, index]));
    }
    if (typeof value !== "object" || value === null) {
        return [];
    }
    return Object.entries(value).flatMap(([key, field]) => (key === "__proto__"
        ? [`${configPath(path)}: the key "__proto__" cannot be stored (it would be dropped without a word); remove it or rename it`]
        : prototypeKeys(field, [...path, key])));
}

function parseValue(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** What the schema cannot see: references between entries. */
function checkReferences(env: Environment): string[] {
    const problems: string[] = [];
    const names = env.services.map((s) => s.name);
    env.services.forEach((svc, index) => {
        const first = names.indexOf(svc.name);
        if (first !== index) {
            problems.push(`${configPath(["services", index, "name"])}: "${svc.name}" is already declared at ${configPath(["services", first])}; service names are unique per stack, rename one`);
        }
        (svc.callers ?? []).forEach((caller, callerIndex) => {
            const local = localService(env.services, caller.service);
            // In an application stack, `namespace/name` of no service here is another team's
            // service, resolved against the platform (stacks/application.ts).
            if (!local && !(roleOf(env) === "application" && caller.service.includes("/"))) {
                problems.push(
                    `${configPath(["services", index, "callers", callerIndex, "service"])}: "${caller.service}" is not a declared service; ` +
                    `callers must name an entry of ${configNamespace}:services (declared: ${names.join(", ")})` +
                    (caller.service.includes("/") ? `; a service of another team's stack can be named only in an application stack (${configNamespace}:role: application)` : ""),
                );
            }
            if (local === svc) {
                problems.push(`${configPath(["services", index, "callers", callerIndex, "service"])}: "${svc.name}" lists itself as a caller; a service needs no policy to reach itself, remove the entry`);
            }
        });
        // An application stack's gateway is its platform's (checked in stacks/application.ts).
        if (svc.public && !env.gateway && roleOf(env) !== "application") {
            problems.push(`${configPath(["services", index, "public"])}: the service is public but ${configNamespace}:gateway is not set; declare the gateway with a TLS listener for "${svc.public.hostname}"`);
        }
    });
    // Istio knows a caller by its ServiceAccount: two services on one account are one principal,
    // and each would get every request the other's callers grant it (and, behind a shared
    // waypoint, past every Layer 4 check too).
    const accounts = new Map<string, number>();
    env.services.forEach((svc, index) => {
        const account = `${svc.namespace}/${svc.serviceAccount ?? svc.name}`;
        const first = accounts.get(account);
        if (first === undefined) {
            accounts.set(account, index);
        } else {
            problems.push(
                `${configPath(["services", index, "serviceAccount"])}: ServiceAccount "${account}" is already the identity of ${configPath(["services", first])} ("${env.services[first].name}"); ` +
                "a mesh principal must stand for one service, or each gets the other's permissions: give each service its own serviceAccount",
            );
        }
    });
    problems.push(...enforcementProblems(env));
    (env.istio?.dedicatedWaypoints ?? []).forEach((service, index) => {
        const key = configPath(["istio", "dedicatedWaypoints", index]);
        if (env.istio?.dataplaneMode !== "ambient") {
            problems.push(`${key}: waypoints exist in ambient mode only; set ${configNamespace}:istio.dataplaneMode to ambient, or remove dedicatedWaypoints`);
        } else if (!names.includes(service)) {
            problems.push(`${key}: "${service}" is not a declared service; name an entry of ${configNamespace}:services (declared: ${names.join(", ")})`);
        }
    });
    return problems;
}

// The SDK knows which config keys are secrets (the language host passes them in
// PULUMI_CONFIG_SECRET_KEYS) but exports the check only from its runtime module.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret: (key: string) => boolean };

/** The environment of the running stack. */
export function readEnvironment(): Environment {
    return parseEnvironment(pulumi.runtime.allConfig(), isConfigSecret);
}
