/**
 * Rules for Istio's ambient data plane, silent where nothing is in the ambient mesh. In ambient
 * mode an object can be valid and still do nothing: ztunnel sees only Layer 4, waypoints read
 * only policies attached to them, and sidecar-only configuration has no proxy to configure.
 * These rules find such objects, which would otherwise fail closed or be ignored without a word.
 */
import { parseDeclaredCallers } from "../../analysis/declaredCallers";
import { ambient, callersAnnotation } from "../../common/wellKnown";
import { RuleConfig } from "../config";
import { whenEnforced } from "../enforcement";
import { KubeObject, known, labelSelectorMatches, namespaceOf } from "../kubernetes";
import { stackRule } from "../policy";
import { StackModel } from "../stackModel";

type StackReport = (object: KubeObject, urn: string, problem: string, fix: string) => void;

/** Whether ztunnel carries the pods of `podLabels` in `namespace` (pod label over namespace label). */
function inAmbientMesh(model: StackModel, namespace: string, podLabels: Record<string, string>): boolean {
    const namespaceLabels = known(() => ({ ...model.namespace(namespace)?.object.metadata.labels })) ?? {};
    return (podLabels[ambient.dataplaneModeLabel] ?? namespaceLabels[ambient.dataplaneModeLabel]) === "ambient";
}

function ambientNamespace(model: StackModel, namespace: string): boolean {
    return known(() => model.namespace(namespace)?.object.metadata.labels?.[ambient.dataplaneModeLabel] === "ambient") ?? false;
}

/** The waypoint a Service uses (its own label, else its namespace's), if any. */
function waypointOf(model: StackModel, service: KubeObject): string | undefined {
    return known(() => service.metadata.labels?.[ambient.useWaypointLabel] ?? model.namespace(namespaceOf(service))?.object.metadata.labels?.[ambient.useWaypointLabel]);
}

function isWaypoint(model: StackModel, namespace: string, name: string): boolean {
    const gateway = model.named("Gateway", "gateway.networking.k8s.io", namespace, name);
    return known(() => gateway?.object.spec?.gatewayClassName === ambient.waypointClassName) ?? false;
}

/** The Layer 7 fields of a policy's rules, as `rules[i].to[j].operation.methods`. */
function layer7Fields(spec: any): string[] {
    const fields: string[] = [];
    (spec?.rules ?? []).forEach((rule: any, i: number) => {
        (rule?.to ?? []).forEach((to: any, j: number) => {
            for (const key of ["methods", "notMethods", "paths", "notPaths", "hosts", "notHosts"]) {
                if ((to?.operation?.[key] ?? []).length) {
                    fields.push(`rules[${i}].to[${j}].operation.${key}`);
                }
            }
        });
        (rule?.from ?? []).forEach((from: any, j: number) => {
            for (const key of ["requestPrincipals", "notRequestPrincipals"]) {
                if ((from?.source?.[key] ?? []).length) {
                    fields.push(`rules[${i}].from[${j}].source.${key}`);
                }
            }
        });
        (rule?.when ?? []).forEach((condition: any, j: number) => {
            if (String(condition?.key ?? "").startsWith("request.")) {
                fields.push(`rules[${i}].when[${j}]`);
            }
        });
    });
    return fields;
}

const waypointFix = "attach the rules to the Service's waypoint with targetRefs (kind Service) and label the Service istio.io/use-waypoint (MeshService does both when given a Waypoint), or keep only principals, namespaces and ports in a selector policy";

export const ambientLayer7PolicyHasWaypoint = stackRule({
    name: "ambient-l7-policy-has-waypoint",
    description: "In the ambient mesh an AuthorizationPolicy with Layer 7 rules (methods, paths, hosts, request principals) must be enforced by a waypoint: not selected onto pods (ztunnel cannot see requests and refuses what such a rule would admit), and attached only to Services that use an existing waypoint.",
    config: ["rootNamespace"],
    validate(model: StackModel, config: RuleConfig, report: StackReport) {
        // Found once, so a stack without the ambient mesh matches no selector against its workloads.
        const ambientWorkloads = new Set(model.workloads.filter((workload) => inAmbientMesh(model, workload.namespace, workload.podLabels)));
        for (const { object, urn } of model.ofKind("AuthorizationPolicy", "security.istio.io")) {
            known(() => {
                const spec = object.spec ?? {};
                const namespace = namespaceOf(object);
                const targetRefs: any[] = [...(spec.targetRefs ?? []), ...(spec.targetRef ? [spec.targetRef] : [])];
                const fields = layer7Fields(spec);
                if (targetRefs.length === 0 && fields.length > 0) {
                    const scope = namespace === config.rootNamespace ? undefined : namespace;
                    const selected = model.workloadsIn(scope).find((workload) =>
                        ambientWorkloads.has(workload) && labelSelectorMatches(spec.selector, workload.podLabels));
                    if (selected) {
                        report(object, urn, `selects ${selected.owner.object.kind} ${selected.namespace}/${selected.owner.object.metadata.name} in the ambient mesh, where ztunnel enforces it${whenEnforced(object)}, but has Layer 7 fields (${fields.join(", ")}) that ztunnel cannot evaluate`, waypointFix);
                    }
                }
                for (const ref of targetRefs.filter((r) => r?.kind === "Service" && (r.group ?? "") === "")) {
                    const service = model.named("Service", "", namespace, ref.name);
                    const waypoint = service && waypointOf(model, service.object);
                    if (!service || !waypoint || !isWaypoint(model, namespace, waypoint)) {
                        const why = !service ? "which the stack does not declare" : !waypoint ? "which uses no waypoint" : `whose waypoint "${waypoint}" is no Gateway of class ${ambient.waypointClassName} here`;
                        report(object, urn, `is attached to Service ${namespace}/${ref.name}, ${why}, so no proxy enforces it`, "give the Service a waypoint (a Gateway of class istio-waypoint, and the label istio.io/use-waypoint on the Service or its namespace)");
                    }
                }
            });
        }
    },
});

export const ambientServiceHasWaypoint = stackRule({
    name: "ambient-service-has-waypoint",
    description: "In an ambient namespace a Service whose declared callers are limited by method or path uses a waypoint, and every istio.io/use-waypoint label names a Gateway of class istio-waypoint that exists: without one, the declared Layer 7 rules have no enforcement point.",
    validate(model: StackModel, _config: RuleConfig, report: StackReport) {
        for (const { object, urn } of model.ofKind("Service", "")) {
            known(() => {
                const namespace = namespaceOf(object);
                if (!ambientNamespace(model, namespace)) {
                    return;
                }
                const waypoint = waypointOf(model, object);
                if (waypoint !== undefined && !isWaypoint(model, namespace, waypoint)) {
                    report(object, urn, `uses waypoint "${waypoint}", which is no Gateway of class ${ambient.waypointClassName} in ${namespace}`, `create the waypoint (MeshService's Waypoint component), or correct the ${ambient.useWaypointLabel} label`);
                    return;
                }
                const declared = declaredLayer7(object);
                if (waypoint === undefined && declared.length > 0) {
                    report(object, urn, `declares callers limited by ${declared.join(" and ")}, but uses no waypoint, so only ztunnel's Layer 4 check applies`, `give it a waypoint and the label ${ambient.useWaypointLabel} (pass a Waypoint to the MeshService)`);
                }
            });
        }
    },
});

/** What the Service's declared callers limit at Layer 7: `methods`, `paths`. */
function declaredLayer7(service: KubeObject): string[] {
    const parsed = parseDeclaredCallers(service.metadata.annotations?.[callersAnnotation] ?? "[]");
    // A malformed annotation is reachability-matches-intent's to report.
    const callers = "callers" in parsed ? parsed.callers : [];
    return (["methods", "paths"] as const).filter((key) => callers.some((caller) => caller[key]?.length));
}

export const noSidecarConfigInAmbient = stackRule({
    name: "no-sidecar-config-in-ambient",
    description: "No sidecar-only configuration in an ambient namespace: a Sidecar, or an EnvoyFilter without targetRefs, configures proxies that ambient pods do not have, so it is ignored; a namespace is not both injected and ambient.",
    validate(model: StackModel, _config: RuleConfig, report: StackReport) {
        for (const kind of ["Sidecar", "EnvoyFilter"]) {
            for (const { object, urn } of model.ofKind(kind, "networking.istio.io")) {
                known(() => {
                    const namespace = namespaceOf(object);
                    const selector = object.spec?.workloadSelector?.labels;
                    const ambientPods = model.workloadsIn(namespace).some((workload) =>
                        (!selector || labelSelectorMatches({ matchLabels: selector }, workload.podLabels)) && inAmbientMesh(model, namespace, workload.podLabels));
                    if ((ambientNamespace(model, namespace) || ambientPods) && !(object.spec?.targetRefs ?? []).length) {
                        report(object, urn, `configures sidecars in ${namespace}, whose pods are in the ambient mesh and have none, so it is ignored`, kind === "Sidecar"
                            ? "remove it: ztunnel and waypoints do not read Sidecar (limit egress with NetworkPolicy and ServiceEntry)"
                            : "attach it to a waypoint with targetRefs, or remove it");
                    }
                });
            }
        }
        for (const { object, urn } of model.ofKind("Namespace", "")) {
            known(() => {
                const labels = object.metadata.labels ?? {};
                if (labels[ambient.dataplaneModeLabel] === "ambient" && labels["istio-injection"] === "enabled") {
                    report(object, urn, "is labelled both istio-injection=enabled and istio.io/dataplane-mode=ambient: injected pods bypass ztunnel and the namespace means two things", "choose one data plane: remove istio-injection, or istio.io/dataplane-mode");
                }
            });
        }
    },
});

export const ambientRules = [ambientLayer7PolicyHasWaypoint, ambientServiceHasWaypoint, noSidecarConfigInAmbient];
