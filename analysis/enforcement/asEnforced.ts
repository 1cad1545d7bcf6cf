/**
 * The as-enforced view: the objects as they would be if every staged Calico policy and every
 * dry-run AuthorizationPolicy were enforced. `ztmesh reach` evaluates what is enforced now, where
 * both enforce nothing; `--as-enforced` evaluates this view instead, which is what promoting an
 * audit rollout to enforce would make of the cluster.
 *
 *   - A Calico staged policy stands for the enforced policy of its kind, namespace and name
 *     (StagedNetworkPolicy → NetworkPolicy of the same Calico API group, StagedGlobalNetworkPolicy
 *     → GlobalNetworkPolicy, StagedKubernetesNetworkPolicy → networking.k8s.io/v1 NetworkPolicy),
 *     with the same metadata and the spec without `stagedAction`: Calico's own conversion
 *     (api/pkg/apis/projectcalico/v3, ConvertStagedPolicyToEnforced and its twins) copies the
 *     metadata and spec over in the same way.
 *   - `stagedAction: Set` (the CRDs' default) stages that policy in place of an enforced one of
 *     the same name, if any; `Delete` stages the removal of the enforced policy of the same name,
 *     and holds no rules of its own (validated in schema/rules/calico.ts). `Learn` and `Ignore`
 *     (states of Calico Enterprise's policy recommendations) are staged as Set: libcalico-go's
 *     update processors (syncersv1/updateprocessors/staged*processor.go) hand Felix every staged
 *     policy but a Delete as the policy it stages, and Felix computes its pending verdicts so.
 *   - A dry-run AuthorizationPolicy (`istio.io/dry-run: "true"`, istio/dryRun.ts) is enforced
 *     as written, the annotation removed.
 *
 * Objects keep their place in the list (only the converted replace their staged originals), so
 * that an error still names the file the staged object came from.
 */
import { apiGroup, calicoGroups } from "../calico/objects";
import { dryRunAnnotation, isDryRun } from "../istio/dryRun";
import { KubeObject, ObjectMeta } from "../manifests";
import { isKubernetesNetworkPolicy } from "../netpol/policy";

/** The enforced kind each Calico staged kind stages. */
const stagedKinds: Readonly<Record<string, string>> = {
    StagedNetworkPolicy: "NetworkPolicy",
    StagedGlobalNetworkPolicy: "GlobalNetworkPolicy",
    StagedKubernetesNetworkPolicy: "NetworkPolicy",
};

/** Whether `object` is a Calico staged policy (of either Calico API group). */
export function isStagedPolicy(object: KubeObject): boolean {
    return object.kind in stagedKinds && calicoGroups.has(apiGroup(object));
}

/** Whether `object` enforces nothing now but would in the as-enforced view: a staged Calico policy or a dry-run AuthorizationPolicy. */
export function isObservingPolicy(object: KubeObject): boolean {
    return isStagedPolicy(object) || isDryRunAuthorizationPolicy(object);
}

function isDryRunAuthorizationPolicy(object: KubeObject): boolean {
    return object.kind === "AuthorizationPolicy" && apiGroup(object) === "security.istio.io" && isDryRun(object);
}

/**
 * Which enforced policy an object is, or would replace: Calico's NetworkPolicy and
 * GlobalNetworkPolicy are one store whichever of its API groups is read, and Kubernetes'
 * NetworkPolicy another (its name is not the name of the Calico policy Calico converts it to).
 */
function enforcedKey(kind: string, calico: boolean, object: KubeObject): string {
    return JSON.stringify([calico ? "calico" : "kubernetes", kind, kind === "GlobalNetworkPolicy" ? "" : object.metadata?.namespace ?? "default", object.metadata?.name]);
}

function keyOfEnforced(object: KubeObject): string | undefined {
    if ((object.kind === "NetworkPolicy" || object.kind === "GlobalNetworkPolicy") && calicoGroups.has(apiGroup(object))) {
        return enforcedKey(object.kind, true, object);
    }
    return isKubernetesNetworkPolicy(object) ? enforcedKey("NetworkPolicy", false, object) : undefined;
}

/** The enforced policy a staged one stands for (undefined for a Delete), and the key of the enforced policy it replaces. */
function enforcedOfStaged(staged: KubeObject): { readonly key: string; readonly enforced?: KubeObject } {
    const kubernetes = staged.kind === "StagedKubernetesNetworkPolicy";
    const kind = stagedKinds[staged.kind];
    const key = enforcedKey(kind, !kubernetes, staged);
    const { stagedAction, ...spec } = (staged.spec ?? {}) as { stagedAction?: unknown };
    if (stagedAction === "Delete") {
        return { key };
    }
    return { key, enforced: { ...staged, apiVersion: kubernetes ? "networking.k8s.io/v1" : staged.apiVersion, kind, spec } };
}

function withoutDryRun(policy: KubeObject): KubeObject {
    const metadata = policy.metadata as ObjectMeta & { annotations?: Record<string, string> };
    const annotations = { ...metadata.annotations };
    delete annotations[dryRunAnnotation];
    return { ...policy, metadata: { ...metadata, annotations } as ObjectMeta };
}

/**
 * `entries` as the as-enforced view has them: each staged policy replaced by the policy it
 * stages (or, for a Delete, by nothing), the enforced policies it replaces or deletes left out,
 * and each dry-run AuthorizationPolicy enforced. Entries carry an object and whatever else the
 * caller keeps beside it (its file).
 */
export function asEnforcedEntries<T extends { readonly object: KubeObject }>(entries: readonly T[]): T[] {
    const staged = new Map(entries.filter(({ object }) => isStagedPolicy(object)).map(({ object }) => [object, enforcedOfStaged(object)]));
    const replaced = new Set([...staged.values()].map(({ key }) => key));
    return entries.flatMap((entry) => {
        const { object } = entry;
        const stagedAs = staged.get(object);
        if (stagedAs !== undefined) {
            return stagedAs.enforced === undefined ? [] : [{ ...entry, object: stagedAs.enforced }];
        }
        const key = keyOfEnforced(object);
        if (key !== undefined && replaced.has(key)) {
            return [];
        }
        return [isDryRunAuthorizationPolicy(object) ? { ...entry, object: withoutDryRun(object) } : entry];
    });
}

/** `objects` as the as-enforced view has them (asEnforcedEntries). */
export function asEnforcedObjects(objects: readonly KubeObject[]): KubeObject[] {
    return asEnforcedEntries(objects.map((object) => ({ object }))).map(({ object }) => object);
}

/**
 * For the policies that enforce only in the as-enforced view, how explanations of that view name
 * them (`NetworkPolicy bookinfo/ratings`) and what they are (`StagedKubernetesNetworkPolicy
 * bookinfo/ratings`), so that a sentence about a cut can say which staged or dry-run policy cuts.
 */
export function observingPolicyNames(objects: readonly KubeObject[]): { readonly enforcedAs: string; readonly observing: string }[] {
    return objects.flatMap((object) => {
        const enforced = isStagedPolicy(object) ? enforcedOfStaged(object).enforced : isDryRunAuthorizationPolicy(object) ? object : undefined;
        return enforced === undefined ? [] : [{
            enforcedAs: policyName(enforced),
            observing: isStagedPolicy(object) ? policyName(object) : `${policyName(object)} (${dryRunAnnotation}: "true")`,
        }];
    });
}

function policyName(object: KubeObject): string {
    const namespaced = object.kind !== "GlobalNetworkPolicy" && object.kind !== "StagedGlobalNetworkPolicy";
    return `${object.kind} ${namespaced ? `${object.metadata?.namespace ?? "default"}/` : ""}${object.metadata?.name}`;
}
