import type { EnforcementLevel, Policies, PolicyPackConfig, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { createRequire } from "module";
import * as path from "path";
import { RecordedResource } from "../../stacks/offline";
import { projectRoot } from "./stackConfig";

/**
 * @pulumi/policy as the pack's own files resolve it: from policypack/node_modules after
 * `cd policypack && npm ci`, from the root install otherwise. The pack recognises an unknown
 * value by `instanceof UnknownValueError`, so the harness must throw that very class.
 */
const packRequire = createRequire(path.join(projectRoot, "policypack", "index.ts"));
const { unknownCheckingProxy, UnknownValueError } = packRequire("@pulumi/policy") as typeof import("@pulumi/policy");
const { unknownValue, specialSigKey, specialSecretSig } = packRequire("@pulumi/pulumi/runtime/rpc");
const { unknownStringValue } = packRequire("@pulumi/policy/proxy");
const { getStore } = packRequire("@pulumi/pulumi/runtime/state");
const { configEnvKey } = packRequire("@pulumi/pulumi/runtime/config");

/** The stack a pack runs for, as the engine hands it to a policy pack: its name, and its config (`project:key` → value). */
export interface StackUnderReview {
    name: string;
    config?: Record<string, string>;
}

/**
 * Runs `run` with the Pulumi runtime describing `stack`, as the engine's PULUMI_NODEJS_STACK and
 * PULUMI_CONFIG describe it to a pack (`pulumi.getStack()`, `pulumi.Config`), then puts back
 * what the mocks set.
 */
async function reviewing<T>(stack: StackUnderReview | undefined, run: () => Promise<T>): Promise<T> {
    if (!stack) {
        return run();
    }
    const store = getStore();
    const saved = { name: store.settings.options.stack, config: store.config[configEnvKey] };
    store.settings.options.stack = stack.name;
    store.config[configEnvKey] = JSON.stringify(stack.config ?? {});
    try {
        return await run();
    } finally {
        store.settings.options.stack = saved.name;
        store.config[configEnvKey] = saved.config;
    }
}

/** One diagnostic, as `pulumi preview --policy-pack` prints it. */
export interface Violation {
    policyName: string;
    message: string;
    urn?: string;
    enforcementLevel: EnforcementLevel;
}

export interface PackResult {
    violations: Violation[];
    notApplicable: { policyName: string; reason?: string }[];
}

export function mandatory(result: PackResult): Violation[] {
    return result.violations.filter((v) => v.enforcementLevel === "mandatory");
}

export function ofPolicy(result: PackResult, policyName: string): Violation[] {
    return result.violations.filter((v) => v.policyName === policyName);
}

class NotApplicable extends Error {
    constructor(readonly reason?: string) {
        super(reason);
    }
}

/**
 * Props as the analyzer hands them to a policy: secrets unwrapped, values unknown during
 * preview turned into the pack's unknown markers (reading one throws UnknownValueError).
 */
function analyzerProps(value: unknown): any {
    if (value === unknownValue) {
        return unknownStringValue;
    }
    if (Array.isArray(value)) {
        return value.map(analyzerProps);
    }
    if (value && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[specialSigKey] === specialSecretSig) {
            return analyzerProps(record.value);
        }
        // A plain loop: like the analyzer's deserialization, this copy runs for every resource
        // under every policy, and `npm run bench` counts it in the pack's time.
        const props: Record<string, unknown> = {};
        for (const key of Object.keys(record)) {
            props[key] = analyzerProps(record[key]);
        }
        return props;
    }
    return value;
}

function isResourcePolicy(policy: Policies[number]): policy is ResourceValidationPolicy {
    return "validateResource" in policy;
}

/**
 * Runs a policy pack over recorded resources with the CLI's semantics (@pulumi/policy's
 * analyzer server): per-policy enforcement level from config, else the policy's, else the
 * pack's (advisory); `disabled` skips; `getConfig` returns the policy's config without
 * `enforcementLevel`; reading an unknown value turns that check into an advisory diagnostic;
 * `notApplicable()` is recorded; any other error fails the run, as it fails a preview.
 */
export async function runPolicyPack(
    policies: Policies,
    resources: readonly RecordedResource[],
    options: { config?: PolicyPackConfig; packEnforcementLevel?: EnforcementLevel; stack?: StackUnderReview } = {},
): Promise<PackResult> {
    return reviewing(options.stack, () => runPolicies(policies, resources, options));
}

async function runPolicies(
    policies: Policies,
    resources: readonly RecordedResource[],
    options: { config?: PolicyPackConfig; packEnforcementLevel?: EnforcementLevel },
): Promise<PackResult> {
    const config = options.config ?? {};
    const result: PackResult = { violations: [], notApplicable: [] };
    // As the CLI does: a policy's own entry, else the config's "all" entry, else its default.
    const levelIn = (entry: PolicyPackConfig[string] | undefined) => (typeof entry === "string" ? entry : entry?.enforcementLevel);
    const levelOf = (name: string, own?: EnforcementLevel): EnforcementLevel =>
        levelIn(config[name]) ?? levelIn(config.all) ?? own ?? options.packEnforcementLevel ?? "advisory";
    const getConfigOf = (name: string) => <T extends object>(): T => {
        const configured = config[name];
        if (!configured || typeof configured === "string") {
            return {} as T;
        }
        const { enforcementLevel: _level, ...properties } = configured;
        return properties as T;
    };
    const notApplicable = (reason?: string): never => {
        throw new NotApplicable(reason);
    };
    const options_ = (resource: RecordedResource) => ({ protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: resource.additionalSecretOutputs, parent: resource.parent || undefined });

    async function guarded(policy: Policies[number], level: EnforcementLevel, run: () => unknown): Promise<void> {
        try {
            await run();
        } catch (error) {
            if (error instanceof UnknownValueError) {
                result.violations.push({ policyName: policy.name, message: `can't run policy '${policy.name}' during preview: ${(error as Error).message}`, enforcementLevel: "advisory" });
            } else if (error instanceof NotApplicable) {
                result.notApplicable.push({ policyName: policy.name, reason: error.reason });
            } else {
                throw new Error(`policy ${policy.name} failed (level ${level}): ${error instanceof Error ? error.stack : String(error)}`);
            }
        }
    }

    for (const policy of policies) {
        const declared = levelOf(policy.name, policy.enforcementLevel);
        if (declared === "disabled") {
            continue;
        }
        const level: EnforcementLevel = declared === "remediate" ? "mandatory" : declared;
        const report = (message: string, urn?: string) => result.violations.push({ policyName: policy.name, message, urn, enforcementLevel: level });
        if (isResourcePolicy(policy)) {
            const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
            for (const resource of resources) {
                const props = unknownCheckingProxy(analyzerProps(resource.inputs));
                for (const validate of validations) {
                    await guarded(policy, level, () => validate({
                        type: resource.type, props, urn: resource.urn, name: resource.name, opts: options_(resource), stackTags: new Map(),
                        isType: () => false, asType: () => undefined, getConfig: getConfigOf(policy.name), notApplicable,
                    }, (message, urn) => report(message, urn ?? resource.urn)));
                }
            }
        } else {
            const byUrn = new Map<string, PolicyResource>();
            const stackResources = resources.map((resource) => {
                const policyResource: PolicyResource = {
                    type: resource.type, props: unknownCheckingProxy(analyzerProps(resource.inputs)), urn: resource.urn, name: resource.name,
                    opts: options_(resource), dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined,
                };
                byUrn.set(resource.urn, policyResource);
                return policyResource;
            });
            resources.forEach((resource, index) => {
                stackResources[index].parent = byUrn.get(resource.parent);
                stackResources[index].dependencies = resource.dependencies.map((urn) => byUrn.get(urn)).filter((r): r is PolicyResource => Boolean(r));
            });
            await guarded(policy, level, () => (policy as StackValidationPolicy).validateStack(
                { resources: stackResources, stackTags: new Map(), getConfig: getConfigOf(policy.name), notApplicable },
                (message, urn) => report(message, urn),
            ));
        }
    }
    return result;
}
