import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { dryRunAnnotation } from "../common/wellKnown";
import { CalicoPolicyApi } from "./calico/policyApi";
import { Problems } from "./problems";

/**
 * Whether a scope's policy denies or only observes:
 * - `enforce`: every policy takes effect (the default);
 * - `audit`: every policy that denies is written in its observe-only form, every allow as it is:
 *   Calico's staged kinds (`StagedGlobalNetworkPolicy`, `StagedNetworkPolicy`,
 *   `StagedKubernetesNetworkPolicy`), which Calico evaluates and reports in its flow records but
 *   never enforces, and Istio AuthorizationPolicies annotated `istio.io/dry-run: "true"`, which
 *   proxies evaluate as shadow rules (logs and the `istio_dry_run_*` stats) and never enforce.
 *
 * A Kubernetes NetworkPolicy is both: selecting a pod isolates it, so every NetworkPolicy of an
 * audited scope is staged, not only the default-deny.
 */
export type EnforcementMode = "enforce" | "audit";

export const enforcementModes: readonly EnforcementMode[] = ["enforce", "audit"];

/** How a component writes its policy: the mode, and where audit mode writes staged Calico policy. */
export interface PolicyEnforcement {
    mode: EnforcementMode;
    /** The Calico API group of the staged kinds; required in audit mode. */
    calicoPolicyApi?: CalicoPolicyApi;
}

/**
 * A mode field's problems: an unknown value and, where the component stages NetworkPolicies
 * (`staging`), audit without the Calico API to write them to.
 */
export function checkEnforcement(problems: Problems, field: string, mode: unknown, staging?: { calicoPolicyApi?: CalicoPolicyApi; field: string }): void {
    if (mode === undefined) {
        return;
    }
    if (!enforcementModes.includes(mode as EnforcementMode)) {
        // Never read an unknown value as either mode: a typo must not turn enforcement off, nor on.
        problems.add(field, `${JSON.stringify(mode)} is not an enforcement mode`, `use "enforce" (the default) or "audit"`);
    } else if (mode === "audit" && staging && staging.calicoPolicyApi === undefined) {
        problems.add(staging.field, "is required in audit mode: NetworkPolicies are staged as Calico's StagedKubernetesNetworkPolicy", "pass the Calico component's policyApi");
    }
}

/**
 * A pod-selecting NetworkPolicy: enforcing, or in audit mode Calico's StagedKubernetesNetworkPolicy
 * with the same spec (its schema is the NetworkPolicy spec plus `stagedAction`, in both Calico
 * API groups' CRDs; `Set` is the CRD's default, written out so the stored object is the one
 * written).
 *
 * The object keeps its name: the staged kind is a resource of its own on the API server (the
 * CRD's plural `stagedkubernetesnetworkpolicies`), so a staged and an enforcing policy of the
 * same name coexist while a promotion runs, and Calico's flow records name the staged policy
 * as the enforcing one will be named. The kind is part of the Pulumi type token, so a mode
 * change is a new resource (created in the update) and a removed one (deleted at its end, after
 * every create, dependents before their dependencies: pulumi/pulumi#9979 describes the order).
 * That is deliberate, hence no `aliases` (the old object would be replaced: the provider
 * deletes an object before creating one of the same name) and no `deleteBeforeReplace` or
 * `replaceOnChanges` (nothing here is replaced; a replacement's pending delete may also run
 * first in the next update after a failed one, #9979, where a removed resource's does not).
 */
export function podNetworkPolicy(
    resourceName: string,
    metadata: k8s.types.input.meta.v1.ObjectMeta,
    spec: k8s.types.input.networking.v1.NetworkPolicySpec,
    enforcement: PolicyEnforcement,
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
    if (enforcement.mode === "enforce") {
        return new k8s.networking.v1.NetworkPolicy(resourceName, { metadata, spec }, opts);
    }
    return new k8s.apiextensions.CustomResource(resourceName, {
        apiVersion: stagedApi(enforcement),
        kind: "StagedKubernetesNetworkPolicy",
        metadata,
        spec: { ...spec, stagedAction: "Set" },
    }, opts);
}

function stagedApi(enforcement: PolicyEnforcement): CalicoPolicyApi {
    if (enforcement.calicoPolicyApi === undefined) {
        // checkEnforcement refuses this before any resource exists.
        throw new Error("audit mode needs the Calico policy API to stage NetworkPolicies");
    }
    return enforcement.calicoPolicyApi;
}

/**
 * An Istio AuthorizationPolicy (ALLOW or DENY): enforcing, or in audit mode annotated
 * `istio.io/dry-run: "true"` under the name `<name>-dry-run`.
 *
 * The dry-run policy has a name of its own because a mode change must not be an in-place
 * update: updates run in dependency order, allows before the denies that wait for them, which
 * is right towards enforce but wrong back towards audit (a service's ALLOW would turn dry-run
 * while the namespace's allow-nothing still enforces, and every caller is refused). As two
 * objects, the new one is created during the update and the old one deleted at its end, denies
 * before the allows they wait for, in both directions.
 *
 * Where proxies honour the annotation (Istio 1.30): sidecars and waypoints install a dry-run
 * policy as shadow rules (pilot/pkg/security/authz/builder/builder.go, `isDryRun`). For
 * ztunnel, istiod withholds a dry-run policy unless `AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY`
 * is set (off by default; pilot/pkg/serviceregistry/ambient/authorization.go,
 * `convertAuthorizationPolicy`, which reports it `UnsupportedValue`): it enforces nothing and
 * reports nothing at ztunnel. ztmesh never sets that flag, since a ztunnel older than 1.29
 * would receive the policy and enforce it (pilot/pkg/features/ambient.go; istio/istio#58657).
 * So no dry-run policy enforces in either data plane; at Layer 4 in ambient mode the staged
 * Calico policies are what reports.
 */
export function authorizationPolicy(
    resourceName: string,
    metadata: k8s.types.input.meta.v1.ObjectMeta & { name: string },
    spec: object,
    mode: EnforcementMode,
    opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
    const audited = mode === "audit";
    return new k8s.apiextensions.CustomResource(audited ? `${resourceName}-dry-run` : resourceName, {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: audited
            ? { ...metadata, name: dryRunName(metadata.name), annotations: { ...metadata.annotations, [dryRunAnnotation]: "true" } }
            : metadata,
        spec,
    }, opts);
}

/** The object name of an AuthorizationPolicy's dry-run form. */
export function dryRunName(name: string): string {
    return `${name}-dry-run`;
}

/**
 * The mTLS mode of a scope: STRICT when enforced; PERMISSIVE in audit mode, so callers without
 * a sidecar (or outside the ambient mesh) keep working in plain text while the audit finds
 * them: under STRICT they would be refused before any policy is evaluated, which is exactly
 * the outage audit mode exists to avoid, and a refused plain-text connection is not reported
 * as a policy decision anywhere. Mesh callers still use mTLS (Istio's auto mTLS), so the
 * principals the dry-run policies match on are the same.
 */
export function mtlsMode(mode: EnforcementMode): "STRICT" | "PERMISSIVE" {
    return mode === "audit" ? "PERMISSIVE" : "STRICT";
}

/**
 * Whether an ambient mesh of Istio `version` keeps dry-run AuthorizationPolicies from ztunnel.
 * Before 1.26 istiod hands ztunnel every AuthorizationPolicy without reading the annotation
 * (pilot/pkg/serviceregistry/kube/controller/ambient: no dry-run check up to 1.25; 1.26 adds
 * one that drops the policy), and ztunnel enforces it: audit mode there would refuse callers.
 */
export function ambientHonoursDryRun(version: string): boolean {
    return releaseAtLeast(version, oldestAmbientAudit);
}

/** The oldest Istio whose ambient mesh audits safely (`ambientHonoursDryRun`). */
export const oldestAmbientAudit = "1.26";

/** Whether release `version` (`1.30.3`) is `oldest` (`1.26`) or later; an unreadable version is not. */
export function releaseAtLeast(version: string, oldest: string): boolean {
    const [major, minor] = (/^(\d+)\.(\d+)\./.exec(version) ?? []).slice(1).map(Number);
    const [oldestMajor, oldestMinor] = oldest.split(".").map(Number);
    return major !== undefined && (major > oldestMajor || (major === oldestMajor && minor >= oldestMinor));
}
