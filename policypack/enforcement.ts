import * as pulumi from "@pulumi/pulumi";
import { isDryRun } from "../analysis/istio/dryRun";
import { KubeObject, groupOf, known } from "./kubernetes";
import { StackModel, StackObject } from "./stackModel";

/**
 * Audit mode as the pack sees it. Calico's staged policies (StagedGlobalNetworkPolicy,
 * StagedNetworkPolicy, StagedKubernetesNetworkPolicy: "used to preview network behavior and do
 * not enforce network traffic", Calico 3.32 reference) and Istio's dry-run AuthorizationPolicies
 * (`istio.io/dry-run`, installed as shadow rules that only log) enforce nothing. A rule that asks
 * "is this denied?" must not count them; a rule that asks "what would this object do once it
 * enforces?" must still read them, since promotion turns them into what they describe.
 */

const calicoGroups = ["projectcalico.org", "crd.projectcalico.org"];

/** Each staged kind, and the kind and API group it stands for once enforced. */
const stagedKinds: Record<string, { kind: string; group?: string }> = {
    StagedGlobalNetworkPolicy: { kind: "GlobalNetworkPolicy" },
    StagedNetworkPolicy: { kind: "NetworkPolicy" },
    // A StagedKubernetesNetworkPolicy is "a staged version of Kubernetes network policy": its spec is a NetworkPolicy's.
    StagedKubernetesNetworkPolicy: { kind: "NetworkPolicy", group: "networking.k8s.io" },
};

/** The staged kinds, for rules that read them beside the kinds they stand for. */
export const stagedPolicyKinds = Object.keys(stagedKinds);

/** Whether `object` is one of Calico's staged policies (either API group). */
export function isStaged(object: Pick<KubeObject, "apiVersion" | "kind">): boolean {
    return object.kind in stagedKinds && calicoGroups.includes(groupOf(object));
}

/**
 * Whether a staged object describes a policy to set (`stagedAction` Set, the default). The
 * other actions (Delete, Learn, Ignore) stage no content of their own, so no rule about what a
 * policy allows applies to them.
 */
export function stagesContent(object: KubeObject): boolean {
    return (object.spec?.stagedAction ?? "Set") === "Set";
}

/** Whether `object` is a dry-run AuthorizationPolicy, read as istiod reads the annotation. */
export function isDryRunPolicy(object: KubeObject): boolean {
    return object.kind === "AuthorizationPolicy" && groupOf(object) === "security.istio.io" && isDryRun(object);
}

/** Whether `object` observes instead of enforcing: a staged Calico policy or a dry-run AuthorizationPolicy. */
export function observesOnly(object: KubeObject): boolean {
    return isStaged(object) || isDryRunPolicy(object);
}

/** The kind and API group a policy object takes effect as: a staged object's enforced kind, any other object's own. */
export function enforcedKind(object: Pick<KubeObject, "apiVersion" | "kind">): { kind: string; group: string } {
    const staged = isStaged(object) ? stagedKinds[object.kind] : undefined;
    return { kind: staged?.kind ?? object.kind, group: staged?.group ?? groupOf(object) };
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
    /** `ztmesh:enforcement` from the stack's config; undefined when unset (ztmesh then enforces). */
    declared?: string;
}

/**
 * The stack the pack runs for. The engine starts a Node.js policy pack with the stack's name in
 * PULUMI_NODEJS_STACK and its decrypted config in PULUMI_CONFIG (pulumi/pulumi
 * sdk/go/common/resource/plugin/analyzer_plugin.go, constructEnv), which is what
 * `pulumi.getStack()` and `pulumi.Config` read in a pack as in a program. Read per run, not
 * once: nothing here may outlive the process's stack.
 */
export function stackUnderReview(): StackUnderReview {
    return { name: pulumi.getStack(), declared: new pulumi.Config("ztmesh").get("enforcement") };
}

/** The stack's own objects (not its platform's) that observe instead of enforcing. */
export function observingObjects(model: StackModel): StackObject[] {
    return model.objects.filter((entry) => !entry.fromPlatform && (known(() => observesOnly(entry.object)) ?? false));
}

/**
 * Whether the stack runs in audit mode: it declares `ztmesh:enforcement: audit`, or its objects
 * say so, whatever it declares — a staged or dry-run policy enforces nothing, and the pack
 * judges what the stack deploys, not what it claims.
 */
export function inAuditMode(model: StackModel, stack: StackUnderReview): boolean {
    return stack.declared === "audit" || observingObjects(model).length > 0;
}

/**
 * Whether staged and dry-run objects stand in for enforcing ones by design: the stack declares
 * audit. Rules that ask whether a deny is in place accept an observing one only then; in a stack
 * that declares enforce, a staged default-deny is a missing default-deny.
 */
export function declaresAudit(stack: StackUnderReview): boolean {
    return stack.declared === "audit";
}
