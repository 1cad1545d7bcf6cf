import { RuleConfig } from "../config";
import { declaresAudit, stackUnderReview, whenEnforced } from "../enforcement";
import { KubeObject, PodTemplate, groupOf, namespaceOf, podTemplateOf } from "../kubernetes";
import { Report, objectRule } from "../policy";

const workloadKinds = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"];
const acceptedModes = ["STRICT", "UNSET"];

/**
 * The mTLS modes a PeerAuthentication of `namespace` may set: STRICT (or UNSET, which
 * inherits); where the stack declares the namespace (the root namespace: the stack) in audit
 * mode also PERMISSIVE, which keeps plain-text callers working while audit mode finds them (the
 * production-not-in-audit rule keeps it out of production). DISABLE never.
 */
function acceptedMtlsModes(namespace: string, rootNamespace: string): string[] {
    return declaresAudit(stackUnderReview(), namespace === rootNamespace ? undefined : namespace) ? [...acceptedModes, "PERMISSIVE"] : acceptedModes;
}

export const peerAuthenticationStrict = objectRule({
    name: "peer-authentication-strict",
    description: "PeerAuthentication may only require mutual TLS (STRICT), also per port; the mesh-wide one in the root namespace must say STRICT explicitly. Where the stack declares audit mode (for the mesh, or the PeerAuthentication's namespace), PERMISSIVE is accepted too.",
    kinds: ["PeerAuthentication"],
    config: ["rootNamespace"],
    validate(object: KubeObject, config: RuleConfig, report: Report) {
        const accepted = acceptedMtlsModes(namespaceOf(object), config.rootNamespace);
        const spec = object.spec ?? {};
        const mode: string | undefined = spec.mtls?.mode;
        const meshWide = object.metadata.namespace === config.rootNamespace && !spec.selector;
        if (mode !== undefined && !accepted.includes(mode)) {
            report(`sets mtls.mode ${mode}, which accepts plain-text traffic`, "set spec.mtls.mode to STRICT (migrate clients to the mesh first)");
        } else if (meshWide && (mode === undefined || mode === "UNSET")) {
            report(`is the mesh-wide policy but leaves mtls.mode ${mode ?? "unset"} (PERMISSIVE)`, "set spec.mtls.mode to STRICT");
        }
        for (const [port, setting] of Object.entries<{ mode?: string }>(spec.portLevelMtls ?? {})) {
            if (setting?.mode !== undefined && !accepted.includes(setting.mode)) {
                report(`sets mtls.mode ${setting.mode} on port ${port}`, `remove spec.portLevelMtls["${port}"] or set it to STRICT`);
            }
        }
    },
});

function tlsDisabledAt(policy: any, path: string): string[] {
    const found: string[] = [];
    if (policy?.tls?.mode === "DISABLE") {
        found.push(`${path}.tls`);
    }
    (policy?.portLevelSettings ?? []).forEach((setting: any, index: number) => {
        if (setting?.tls?.mode === "DISABLE") {
            found.push(`${path}.portLevelSettings[${index}].tls`);
        }
    });
    return found;
}

export const destinationRuleNoTlsDisable = objectRule({
    name: "destination-rule-no-tls-disable",
    description: "A DestinationRule must not turn TLS off (mode DISABLE) for any subset or port: inside the mesh traffic is ISTIO_MUTUAL.",
    kinds: ["DestinationRule"],
    validate(object: KubeObject, _config: RuleConfig, report: Report) {
        const spec = object.spec ?? {};
        const disabled = [
            ...tlsDisabledAt(spec.trafficPolicy, "spec.trafficPolicy"),
            ...(spec.subsets ?? []).flatMap((subset: any, index: number) => tlsDisabledAt(subset.trafficPolicy, `spec.subsets[${index}].trafficPolicy`)),
        ];
        for (const path of disabled) {
            report(`sends plain text: ${path}.mode is DISABLE`, `set ${path}.mode to ISTIO_MUTUAL (or remove it)`);
        }
    },
});

/** Why an ALLOW rule's sources admit anyone, or undefined. */
function openSource(rule: any): string | undefined {
    const sources: any[] = (rule?.from ?? []).map((from: any) => from?.source ?? {});
    if (sources.length === 0) {
        return "has no `from`, so it admits every caller";
    }
    for (const source of sources) {
        const identities = [...(source.principals ?? []), ...(source.namespaces ?? []), ...(source.requestPrincipals ?? [])];
        if (identities.includes("*")) {
            return "admits `*`, i.e. every caller";
        }
        if (identities.length === 0) {
            return "has a source with no principals, namespaces or requestPrincipals, so it is not identity-based";
        }
    }
    return undefined;
}

export const authorizationPolicyNoAllowAll = objectRule({
    name: "authorization-policy-no-allow-all",
    description: "An ALLOW AuthorizationPolicy must name who is allowed: no empty rule, no rule without `from`, no `*` principal or namespace. A dry run is judged too: it takes effect at promotion.",
    kinds: ["AuthorizationPolicy"],
    validate(object: KubeObject, _config: RuleConfig, report: Report) {
        if (groupOf(object) !== "security.istio.io") {
            return;
        }
        const spec = object.spec ?? {};
        if ((spec.action ?? "ALLOW") !== "ALLOW") {
            return;
        }
        (spec.rules ?? []).forEach((rule: any, index: number) => {
            const problem = openSource(rule);
            if (problem) {
                report(`rule spec.rules[${index}] ${problem}${whenEnforced(object)}`, "allow the callers' principals (cluster.local/ns/<ns>/sa/<sa>), e.g. by declaring them as callers of the MeshService");
            }
        });
    },
});

/**
 * A rule over the pods of application workloads (any kind that runs pods), outside the
 * control plane, whose components opt out of injection and run as their own accounts by design.
 */
function applicationPodRule(info: { name: string; description: string; validate(pod: PodTemplate, report: Report): void }) {
    return objectRule({
        ...info,
        kinds: workloadKinds,
        config: ["controlPlaneNamespaces"],
        validate(object: KubeObject, config: RuleConfig, report: Report) {
            const pod = podTemplateOf(object);
            if (pod && !config.controlPlaneNamespaces.includes(namespaceOf(object))) {
                info.validate(pod, report);
            }
        },
    });
}

export const noSidecarInjectionOptOut = applicationPodRule({
    name: "no-sidecar-injection-opt-out",
    description: "Application pods may not opt out of the mesh with sidecar.istio.io/inject: \"false\": without a sidecar a pod bypasses mTLS and every AuthorizationPolicy.",
    validate(pod: PodTemplate, report: Report) {
        const meta = pod.metadata ?? {};
        for (const [where, values] of [["label", meta.labels], ["annotation", meta.annotations]] as const) {
            if (values?.["sidecar.istio.io/inject"] === "false") {
                report(`opts its pods out of the mesh (pod ${where} sidecar.istio.io/inject: "false")`, `remove the ${where}; if the workload cannot run a sidecar, exempt it in the policy config with a reason`);
            }
        }
    },
});

export const noDefaultServiceAccount = applicationPodRule({
    name: "no-default-service-account",
    description: "Application pods must run as a ServiceAccount of their own: the `default` ServiceAccount is shared, so its mesh identity says nothing about who is calling.",
    validate(pod: PodTemplate, report: Report) {
        const spec = pod.spec ?? {};
        if ((spec.serviceAccountName ?? spec.serviceAccount ?? "default") === "default") {
            report("runs its pods as the namespace's default ServiceAccount", "create a ServiceAccount for the workload and set serviceAccountName (MeshService does this)");
        }
    },
});

export const meshIdentityRules = [peerAuthenticationStrict, destinationRuleNoTlsDisable, authorizationPolicyNoAllowAll, noSidecarInjectionOptOut, noDefaultServiceAccount];
