import * as pulumi from "@pulumi/pulumi";
import { asEnforcedObjects, isObservingPolicy, isStagedPolicy } from "../analysis/enforcement/asEnforced";
import { KubeObject as AnalysisObject } from "../analysis/manifests";
import { KubeObject, known } from "./kubernetes";
import { StackModel, StackObject } from "./stackModel";

/**
 * Audit mode as the pack sees it. Calico's staged policies (StagedGlobalNetworkPolicy,
 * StagedNetworkPolicy, StagedKubernetesNetworkPolicy: "used to preview network behavior and do
 * not enforce network traffic", Calico 3.32 reference) and Istio's dry-run AuthorizationPolicies
 * (`istio.io/dry-run`, installed as shadow rules that only log) enforce nothing. A rule that asks
 * "is this denied?" must not count them; a rule that asks "what would this object do once it
 * enforces?" must still read them, since promotion turns them into what they describe. Both
 * readings are the analyzer's (analysis/enforcement/asEnforced.ts), so the pack and `ztmesh
 * reach --as-enforced` agree.
 */

/** Whether `object` is one of Calico's staged policies (either API group). */
export function isStaged(object: KubeObject): boolean {
    return isStagedPolicy(object as AnalysisObject);
}

/** Whether `object` observes instead of enforcing: a staged Calico policy or a dry-run AuthorizationPolicy. */
export function observesOnly(object: KubeObject): boolean {
    return isObservingPolicy(object as AnalysisObject);
}

/** Whether `object` is a dry-run AuthorizationPolicy, read as istiod reads the annotation. */
export function isDryRunPolicy(object: KubeObject): boolean {
    return observesOnly(object) && !isStaged(object);
}

/**
 * The policy `object` takes effect as once promoted, read as the as-enforced view reads it: a
 * staged policy as the policy it stages (a StagedKubernetesNetworkPolicy as a networking.k8s.io
 * NetworkPolicy), or undefined for a staged Delete, which holds no rules of its own; any other
 * object, a dry run included, as it is.
 */
export function asEnforced(object: KubeObject): KubeObject | undefined {
    return isStaged(object) ? asEnforcedObjects([object as AnalysisObject])[0] as KubeObject | undefined : object;
}

/** What a staged or dry-run object says it is in messages: why it does not count yet. */
export function observingNote(object: KubeObject): string {
    return isStaged(object)
        ? `it is a ${object.kind}, which Calico evaluates and reports but never enforces`
        : "it carries istio.io/dry-run, so Istio only logs what it would decide";
}

/**
 * What a rule about a policy's content adds to its message for an observing object: the
 * content is judged all the same, since promotion turns it into what it describes.
 */
export function whenEnforced(object: KubeObject): string {
    if (isStaged(object)) {
        return " (staged now: it takes effect when promoted to enforce)";
    }
    return isDryRunPolicy(object) ? " (a dry run now: it takes effect when promoted to enforce)" : "";
}

/** The stack under review, as the Pulumi engine describes it to the pack. */
export interface StackUnderReview {
    /** The stack's name (without organization and project). */
    name: string;
    /** `ztmesh:enforcement`; undefined when unset (ztmesh then enforces). */
    declared?: string;
    /** `ztmesh:baseline.namespaceEnforcement`: namespaces whose mode differs from the stack's. */
    namespaces: Record<string, string>;
    /** `ztmesh:services[].enforcement`, by service name, where a service sets its own. */
    services: Record<string, string>;
}

/** A structured config value, or undefined when it is unset or not the JSON the program would accept (which refuses it). */
function configObject<T>(config: pulumi.Config, key: string): T | undefined {
    try {
        return config.getObject<T>(key);
    } catch {
        return undefined;
    }
}

/**
 * The stack the pack runs for. The engine starts a Node.js policy pack with the stack's name in
 * PULUMI_NODEJS_STACK and its decrypted config in PULUMI_CONFIG (pulumi/pulumi
 * sdk/go/common/resource/plugin/analyzer_plugin.go, constructEnv), which is what
 * `pulumi.getStack()` and `pulumi.Config` read in a pack as in a program. Read per run, not
 * once: nothing here may outlive the process's stack.
 */
export function stackUnderReview(): StackUnderReview {
    const config = new pulumi.Config("ztmesh");
    const baseline = configObject<{ namespaceEnforcement?: Record<string, string> }>(config, "baseline");
    const services = configObject<{ name?: string; enforcement?: string }[]>(config, "services");
    return {
        name: pulumi.getStack(),
        declared: config.get("enforcement"),
        namespaces: { ...baseline?.namespaceEnforcement },
        services: Object.fromEntries((Array.isArray(services) ? services : []).filter((svc) => svc?.enforcement !== undefined).map((svc) => [String(svc.name), String(svc.enforcement)])),
    };
}

/**
 * Whether the stack declares audit for `namespace` (its entry of namespaceEnforcement, else the
 * stack's mode), or for the stack when no namespace is given: the modes combine as the program
 * combines them (docs/stack-config.md, "Audit mode"). Staged and dry-run objects stand in for
 * enforcing ones only where audit is declared: rules that ask whether a deny is in place accept
 * an observing one only there, and elsewhere a staged default-deny is a missing default-deny.
 */
export function declaresAudit(stack: StackUnderReview, namespace?: string): boolean {
    return ((namespace === undefined ? undefined : stack.namespaces[namespace]) ?? stack.declared) === "audit";
}

/** The scopes the stack declares in audit mode, as its config names them. */
export function declaredAuditScopes(stack: StackUnderReview): string[] {
    const audited = (modes: Record<string, string>) => Object.keys(modes).filter((name) => modes[name] === "audit").sort();
    return [
        ...(stack.declared === "audit" ? ["the stack (ztmesh:enforcement)"] : []),
        ...audited(stack.namespaces).map((namespace) => `namespace ${namespace} (ztmesh:baseline.namespaceEnforcement)`),
        ...audited(stack.services).map((service) => `service ${service} (ztmesh:services[].enforcement)`),
    ];
}

/** The stack's own objects (not its platform's) that observe instead of enforcing. */
export function observingObjects(model: StackModel): StackObject[] {
    return model.objects.filter((entry) => !entry.fromPlatform && (known(() => observesOnly(entry.object)) ?? false));
}

/**
 * Whether the stack runs in audit mode: it declares audit for any scope, or its objects say so,
 * whatever it declares — a staged or dry-run policy enforces nothing, and the pack judges what
 * the stack deploys, not what it claims.
 */
export function inAuditMode(model: StackModel, stack: StackUnderReview): boolean {
    return declaredAuditScopes(stack).length > 0 || observingObjects(model).length > 0;
}
