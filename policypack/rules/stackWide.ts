import { selects, selectsEverything } from "../calicoSelectors";
import { deniesEverything, placedRules, subjectTakesIn } from "../clusterNetworkPolicies";
import { RuleConfig } from "../config";
import { asEnforced, declaresAudit, isDryRunPolicy, observesOnly, observingNote, stackUnderReview } from "../enforcement";
import { KubeObject, describe, groupOf, isEmptySelector, known, namespaceOf } from "../kubernetes";
import { stackRule } from "../policy";
import { StackModel, StackObject } from "../stackModel";
import { ambient } from "../../common/wellKnown";

type StackReport = (object: KubeObject, urn: string, problem: string, fix: string) => void;

/** An object the stack lacks, named so a message can point at what to add. */
export function missing(kind: string, namespace: string | undefined, name: string): KubeObject {
    return { apiVersion: "", kind, metadata: { namespace, name } };
}

interface HttpRouteRule { filters?: { type?: string; requestRedirect?: { scheme?: string } }[]; backendRefs?: unknown[] }

/** Whether every rule of a route only redirects to HTTPS. */
function onlyRedirectsToHttps(route: KubeObject): boolean {
    return ((route.spec?.rules ?? []) as HttpRouteRule[]).every((rule) =>
        !(rule.backendRefs ?? []).length && (rule.filters ?? []).some((f) => f.type === "RequestRedirect" && f.requestRedirect?.scheme === "https"));
}

/** HTTPRoutes attached to a Gateway listener. */
function routesOn(model: StackModel, gateway: KubeObject, listener: { name: string; port?: number }): StackObject[] {
    const gatewayNamespace = namespaceOf(gateway);
    return model.ofKind("HTTPRoute").filter(({ object }) => known(() =>
        (object.spec?.parentRefs ?? []).some((ref: any) =>
            (ref.kind ?? "Gateway") === "Gateway" && ref.name === gateway.metadata.name && (ref.namespace ?? namespaceOf(object)) === gatewayNamespace
            && (ref.sectionName === undefined || ref.sectionName === listener.name) && (ref.port === undefined || ref.port === listener.port))) ?? false);
}

export const gatewayHttpsOnly = stackRule({
    name: "gateway-https-only",
    description: "Gateways serve HTTPS (or TLS passthrough, or HBONE for ambient waypoints) only. A plain-HTTP listener is allowed only when every route attached to it redirects to HTTPS and only its own namespace may attach routes.",
    validate(model: StackModel, _config: RuleConfig, report: StackReport) {
        for (const { object: gateway, urn } of model.ofKind("Gateway", "gateway.networking.k8s.io")) {
            known(() => (gateway.spec?.listeners ?? []).forEach((listener: any) => {
                const where = `listener "${listener.name}" (port ${listener.port})`;
                if (listener.protocol === "HTTPS") {
                    if ((listener.tls?.mode ?? "Terminate") === "Terminate" && !(listener.tls?.certificateRefs ?? []).length) {
                        report(gateway, urn, `has HTTPS ${where} without a certificate`, "set tls.certificateRefs to a kubernetes.io/tls Secret");
                    }
                } else if (listener.protocol === "HTTP") {
                    if ((listener.allowedRoutes?.namespaces?.from ?? "Same") !== "Same") {
                        report(gateway, urn, `lets other namespaces attach plain-HTTP routes to ${where}`, "set allowedRoutes.namespaces.from: Same on the HTTP listener; only the HTTPS redirect belongs there");
                    }
                    for (const route of routesOn(model, gateway, listener)) {
                        if (!onlyRedirectsToHttps(route.object)) {
                            report(route.object, route.urn, `serves plain HTTP on Gateway ${namespaceOf(gateway)}/${gateway.metadata.name} ${where}`, "attach it to the HTTPS listener of its hostname; the HTTP listener only redirects (RequestRedirect scheme https)");
                        }
                    }
                } else if (listener.protocol !== "TLS" && listener.protocol !== "HBONE") {
                    // HBONE (an ambient waypoint's listener) is mutual TLS between mesh workloads.
                    report(gateway, urn, `has ${listener.protocol} ${where}, which is not encrypted`, "serve HTTPS (or TLS) only");
                }
            }));
        }
        for (const { object: gateway, urn } of model.ofKind("Gateway", "networking.istio.io")) {
            known(() => (gateway.spec?.servers ?? []).forEach((server: any) => {
                const protocol = server.port?.protocol;
                if (protocol === "HTTP" && !server.tls?.httpsRedirect) {
                    report(gateway, urn, `serves plain HTTP on port ${server.port?.number} without redirecting`, "set tls.httpsRedirect: true on the HTTP server, and serve hosts on HTTPS");
                } else if (protocol === "HTTPS" && !server.tls?.credentialName && server.tls?.mode !== "PASSTHROUGH") {
                    report(gateway, urn, `has an HTTPS server on port ${server.port?.number} without a credentialName`, "set tls.credentialName to a kubernetes.io/tls Secret");
                } else if (!["HTTP", "HTTPS", "TLS"].includes(protocol)) {
                    report(gateway, urn, `serves ${protocol} on port ${server.port?.number}, which is not encrypted`, "serve HTTPS (or TLS) only");
                }
            }));
        }
    },
});

/** Labels of a namespace as Calico and Kubernetes selectors see them. */
export function namespaceLabels(model: StackModel, namespace: string): Record<string, string> {
    const declared = model.namespace(namespace);
    return { ...known(() => ({ ...declared?.object.metadata.labels })), "kubernetes.io/metadata.name": namespace, "projectcalico.org/name": namespace };
}

/** Whether a policy object has no rules for `type` but lists it: a deny for that direction. */
function deniesDirection(spec: any, type: "Ingress" | "Egress"): boolean {
    return (spec?.policyTypes ?? spec?.types ?? []).includes(type) && !(spec?.[type.toLowerCase()] ?? []).length;
}

type Direction = "Ingress" | "Egress";

/** A policy object that denies a direction for every pod of a namespace; `observing` when it is staged or a dry run. */
interface DenyFound {
    object: KubeObject;
    directions: Direction[];
    observing: boolean;
}

/**
 * The Layer 3/4 policies that deny every pod of `namespace` a direction, enforcing or staged: a
 * staged policy is read as the policy it stands for (a StagedKubernetesNetworkPolicy as a
 * NetworkPolicy, a StagedGlobalNetworkPolicy as a GlobalNetworkPolicy), then marked observing.
 */
function layer4DefaultDenies(model: StackModel, namespace: string): DenyFound[] {
    const nsLabels = namespaceLabels(model, namespace);
    const found: DenyFound[] = [];
    const candidates = [
        ...["NetworkPolicy", "StagedKubernetesNetworkPolicy", "StagedNetworkPolicy"].flatMap((kind) => model.inNamespace(kind, namespace)),
        ...["GlobalNetworkPolicy", "StagedGlobalNetworkPolicy"].flatMap((kind) => model.ofKind(kind)),
    ];
    for (const { object } of candidates) {
        known(() => {
            // A staged policy is read as the policy it stages; a staged Delete holds no rules.
            const enforced = asEnforced(object);
            if (!enforced) {
                return;
            }
            const { kind, spec } = enforced;
            const group = groupOf(enforced);
            const takesInNamespace = group === "networking.k8s.io"
                ? kind === "NetworkPolicy" && isEmptySelector(spec?.podSelector)
                : ["projectcalico.org", "crd.projectcalico.org"].includes(group) && selectsEverything(spec?.selector)
                    && (kind === "NetworkPolicy" || (kind === "GlobalNetworkPolicy" && selects(spec?.namespaceSelector, nsLabels)));
            const directions = (["Ingress", "Egress"] as const).filter((type) => deniesDirection(spec, type));
            const observing = observesOnly(object);
            if (takesInNamespace && directions.length) {
                found.push({ object, directions, observing });
            }
        });
    }
    // A Baseline-tier ClusterNetworkPolicy deny-by-default covers egress (0.0.0.0/0 and ::/0),
    // but not ingress: its ingress peers are pods only (the API has no other ingress peer), so
    // traffic from outside the cluster or the host network is allowed for a pod no NetworkPolicy selects.
    const baseline = placedRules(model).find((placed) => placed.tier === "Baseline" && placed.direction === "egress"
        && deniesEverything(placed.rule, "egress") && subjectTakesIn(placed.policy.object, nsLabels, true));
    if (baseline) {
        found.push({ object: baseline.policy.object, directions: ["Egress"], observing: false });
    }
    return found;
}

/** Istio allow-nothing policies that cover `namespace`: ALLOW, no selector, no rules, here or in the root namespace. */
function layer7AllowNothing(model: StackModel, namespace: string, rootNamespace: string): DenyFound[] {
    return [...model.inNamespace("AuthorizationPolicy", namespace), ...model.inNamespace("AuthorizationPolicy", rootNamespace)].flatMap(({ object }) => known(() => {
        const spec = object.spec ?? {};
        const allowsNothing = groupOf(object) === "security.istio.io" && !spec.selector && !spec.targetRefs && !spec.targetRef && (spec.action ?? "ALLOW") === "ALLOW" && !(spec.rules ?? []).length;
        return allowsNothing ? [{ object, directions: ["Ingress" as const], observing: isDryRunPolicy(object) }] : [];
    }) ?? []);
}

/** Namespaces the rules about applications apply to: every namespace with workloads or declared by the stack, but the control plane. */
export function appNamespaces(model: StackModel, config: RuleConfig): string[] {
    const declared = model.ofKind("Namespace", "").map(({ object }) => object.metadata.name as string);
    return [...new Set([...model.workloadNamespaces(), ...declared])].filter((ns) => !config.controlPlaneNamespaces.includes(ns)).sort();
}

/**
 * What is missing of a default-deny, given what was found: nothing when an enforcing policy
 * covers each direction, or when an observing one does in a stack that declares audit; else
 * the uncovered directions, and the observing policies that would have covered them.
 */
function missingDenies(found: DenyFound[], directions: readonly Direction[], audit: boolean): { uncovered: Direction[]; observing: KubeObject[] } {
    const counts = (deny: DenyFound) => !deny.observing || audit;
    const uncovered = directions.filter((direction) => !found.some((deny) => counts(deny) && deny.directions.includes(direction)));
    const observing = found.filter((deny) => deny.observing && deny.directions.some((direction) => uncovered.includes(direction))).map((deny) => deny.object);
    return { uncovered, observing };
}

/** Why the observing policies found do not count, for a message. */
function observingOnly(objects: KubeObject[]): string {
    return objects.length ? `; ${objects.map((object) => `${describe(object)} only observes (${observingNote(object)})`).join("; ")}, and the stack declares the namespace enforced` : "";
}

const enforceFix = "or, to roll out in audit mode, declare it: ztmesh:enforcement: audit for the stack, or ztmesh:baseline.namespaceEnforcement for the namespace";

export const namespaceDefaultDenyBothLayers = stackRule({
    name: "namespace-default-deny-both-layers",
    description: "Every application namespace is default-deny at Layer 3/4 (Kubernetes or Calico policy, both directions) and at Layer 7 (an Istio allow-nothing AuthorizationPolicy; gateway namespaces excepted, where it would block the public entry). A staged policy or a dry-run allow-nothing counts only in a namespace the stack declares in audit mode (ztmesh:enforcement, ztmesh:baseline.namespaceEnforcement): elsewhere it enforces nothing.",
    config: ["controlPlaneNamespaces", "approvedGateways", "rootNamespace"],
    validate(model: StackModel, config: RuleConfig, report: StackReport) {
        const gatewayNamespaces = config.approvedGateways.map((ref) => ref.split("/")[0]);
        const stack = stackUnderReview();
        for (const namespace of appNamespaces(model, config)) {
            const target = model.namespace(namespace) ?? { object: missing("Namespace", undefined, namespace), urn: "" };
            const audit = declaresAudit(stack, namespace);
            const layer4 = missingDenies(layer4DefaultDenies(model, namespace), ["Ingress", "Egress"], audit);
            if (layer4.uncovered.length) {
                report(target.object, target.urn, `has no Layer 3/4 default-deny for ${layer4.uncovered.join(" and ")}${observingOnly(layer4.observing)}`,
                    `add ZeroTrustBaseline (a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress], plus the cluster default-deny: Calico's, or a Baseline ClusterNetworkPolicy)${layer4.observing.length ? `, ${enforceFix}` : ""}`);
            }
            const layer7 = missingDenies(layer7AllowNothing(model, namespace, config.rootNamespace), ["Ingress"], audit);
            if (!gatewayNamespaces.includes(namespace) && layer7.uncovered.length) {
                report(target.object, target.urn, `has no Istio allow-nothing AuthorizationPolicy${observingOnly(layer7.observing)}`,
                    `add ZeroTrustBaseline (an AuthorizationPolicy with an empty spec in the namespace)${layer7.observing.length ? `, ${enforceFix}` : ""}`);
            }
        }
    },
});

export const meshWideStrictMtls = stackRule({
    name: "mesh-wide-strict-mtls",
    description: "The mesh requires mutual TLS everywhere: a PeerAuthentication without selector in the root namespace with mtls.mode STRICT (PERMISSIVE in a stack that declares ztmesh:enforcement: audit).",
    config: ["rootNamespace"],
    validate(model: StackModel, config: RuleConfig, report: StackReport) {
        const wanted = declaresAudit(stackUnderReview()) ? ["STRICT", "PERMISSIVE"] : ["STRICT"];
        const present = model.ofKind("PeerAuthentication", "security.istio.io").some(({ object }) =>
            known(() => namespaceOf(object) === config.rootNamespace && !object.spec?.selector && wanted.includes(object.spec?.mtls?.mode)) ?? false);
        if (!present) {
            report(missing("PeerAuthentication", config.rootNamespace, "default"), "", "is missing: the stack sets no mesh-wide STRICT mTLS", `add a PeerAuthentication without selector in ${config.rootNamespace} with spec.mtls.mode STRICT (the Istio component does)`);
        }
    },
});

const injectLabel = "sidecar.istio.io/inject";

/** Whether ztunnel carries the pod's traffic: ambient by its namespace or itself, unless the pod says `none`. */
function inAmbientMesh(podLabels: Record<string, string>, namespaceLabels: Record<string, string>): boolean {
    const mode = podLabels[ambient.dataplaneModeLabel] ?? namespaceLabels[ambient.dataplaneModeLabel];
    return mode === "ambient";
}

export const workloadsInjected = stackRule({
    name: "workloads-injected",
    description: "Every application pod is in the mesh: it gets a sidecar (istioctl analyze IST0102) because its namespace enables injection (istio-injection=enabled or istio.io/rev) or the pod asks for it and nothing disables it, or it is in the ambient mesh (istio.io/dataplane-mode: ambient on the pod or its namespace, and not none on the pod).",
    config: ["controlPlaneNamespaces"],
    validate(model: StackModel, config: RuleConfig, report: StackReport) {
        for (const workload of model.workloads) {
            if (!workload.template || config.controlPlaneNamespaces.includes(workload.namespace)) {
                continue;
            }
            const namespaceLabelsOf = known(() => ({ ...model.namespace(workload.namespace)?.object.metadata.labels }));
            const pod = known(() => ({ labels: { ...workload.template!.metadata?.labels }, annotations: { ...workload.template!.metadata?.annotations } }));
            if (!namespaceLabelsOf || !pod) {
                continue;
            }
            const podSays = pod.labels[injectLabel] ?? pod.annotations[injectLabel];
            const namespaceDisabled = namespaceLabelsOf["istio-injection"] === "disabled";
            const namespaceEnabled = namespaceLabelsOf["istio-injection"] === "enabled" || "istio.io/rev" in namespaceLabelsOf;
            const injected = podSays !== "false" && !namespaceDisabled && (namespaceEnabled || podSays === "true" || "istio.io/rev" in pod.labels);
            if (!injected && !inAmbientMesh(pod.labels, namespaceLabelsOf)) {
                const why = namespaceDisabled ? `namespace ${workload.namespace} is labelled istio-injection=disabled`
                    : podSays === "false" ? `its pods say ${injectLabel}: "false"` : `neither namespace ${workload.namespace} nor its pods enable injection`;
                report(workload.owner.object, workload.owner.urn, `runs without a sidecar (IST0102): ${why}`, `label namespace ${workload.namespace} istio-injection=enabled (or istio.io/rev) and remove any opt-out`);
            }
        }
    },
});

export const stackWideRules = [gatewayHttpsOnly, namespaceDefaultDenyBothLayers, meshWideStrictMtls, workloadsInjected];
