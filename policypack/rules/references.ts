import { RuleConfig } from "../config";
import { KubeObject, known, labelSelectorMatches, namespaceOf } from "../kubernetes";
import { stackRule } from "../policy";
import { StackModel, StackObject } from "../stackModel";

type StackReport = (object: KubeObject, urn: string, problem: string, fix: string) => void;

/** Whether a Gateway server/listener host pattern (`*.example.com`, `ns/host`, `*`) covers `host`. */
function hostCovered(pattern: string, host: string): boolean {
    const bare = pattern.includes("/") ? pattern.split("/")[1] : pattern;
    if (bare === "*") {
        return true;
    }
    if (bare.startsWith("*.")) {
        return host.endsWith(bare.slice(1));
    }
    return bare === host;
}

/** Hosts that ServiceEntries add to the mesh registry. */
function serviceEntryHosts(model: StackModel): string[] {
    return model.ofKind("ServiceEntry").flatMap(({ object }) => known(() => [...(object.spec?.hosts ?? [])]) ?? []);
}

/** The subsets DestinationRules define for a mesh host (none for hosts outside the stack's Services). */
function subsetsOfHost(model: StackModel, host: string, fromNamespace: string): Set<string> {
    const service = model.service(host, fromNamespace);
    return service ? model.subsetsOf(service) : new Set();
}

/** Whether a mesh host resolves: a Service of the stack or a ServiceEntry host. */
function hostResolves(model: StackModel, host: string, fromNamespace: string): boolean {
    return Boolean(model.service(host, fromNamespace)) || serviceEntryHosts(model).some((pattern) => hostCovered(pattern, host));
}

export const virtualServiceReferencesResolve = stackRule({
    name: "virtualservice-references-resolve",
    description: "Every VirtualService points at things that exist (istioctl analyze IST0101, IST0132): its gateways, the hosts it binds on them, its destination hosts and subsets.",
    validate(model: StackModel, _config: RuleConfig, report: StackReport) {
        for (const { object, urn } of model.ofKind("VirtualService", "networking.istio.io")) {
            known(() => {
                const namespace = namespaceOf(object);
                const spec = object.spec ?? {};
                const gateways = ((spec.gateways ?? []) as string[]).filter((g) => g !== "mesh");
                for (const name of gateways) {
                    const [gwNamespace, gwName] = name.includes("/") ? name.split("/") : [namespace, name];
                    const gateway = model.named("Gateway", "networking.istio.io", gwNamespace, gwName);
                    if (!gateway) {
                        report(object, urn, `binds to gateway ${gwNamespace}/${gwName}, which does not exist (IST0101)`, "create the Istio Gateway or fix spec.gateways");
                        continue;
                    }
                    const serverHosts: string[] = (gateway.object.spec?.servers ?? []).flatMap((server: any) => server.hosts ?? []);
                    for (const host of spec.hosts ?? []) {
                        if (!serverHosts.some((pattern) => hostCovered(pattern, host))) {
                            report(object, urn, `binds host ${host} to gateway ${gwNamespace}/${gwName}, whose servers do not serve it (IST0132)`, `add ${host} to a server of the gateway, or fix spec.hosts`);
                        }
                    }
                }
                if (gateways.length === 0) {
                    for (const host of spec.hosts ?? []) {
                        if (!hostResolves(model, host, namespace)) {
                            report(object, urn, `routes host ${host}, which is no Service or ServiceEntry of the stack (IST0101)`, "fix spec.hosts, or declare the service (MeshService) or a ServiceEntry");
                        }
                    }
                }
                for (const kind of ["http", "tcp", "tls"]) {
                    for (const route of spec[kind] ?? []) {
                        for (const { destination } of route.route ?? []) {
                            if (!hostResolves(model, destination.host, namespace)) {
                                report(object, urn, `sends traffic to ${destination.host}, which is no Service or ServiceEntry of the stack (IST0101)`, "fix the destination host");
                            } else if (destination.subset && !subsetsOfHost(model, destination.host, namespace).has(destination.subset)) {
                                report(object, urn, `sends traffic to subset ${destination.subset} of ${destination.host}, which no DestinationRule defines (IST0101)`, "add the subset to the host's DestinationRule (a version of the MeshService)");
                            }
                        }
                    }
                }
            });
        }
    },
});

export const httpRouteReferencesResolve = stackRule({
    name: "httproute-references-resolve",
    description: "Every HTTPRoute points at things that exist (IST0101): its parent Gateways and listeners, and its backend Services and ports.",
    validate(model: StackModel, _config: RuleConfig, report: StackReport) {
        for (const { object, urn } of model.ofKind("HTTPRoute", "gateway.networking.k8s.io")) {
            known(() => {
                const namespace = namespaceOf(object);
                for (const parent of object.spec?.parentRefs ?? []) {
                    if ((parent.kind ?? "Gateway") !== "Gateway") {
                        continue;
                    }
                    const gwNamespace = parent.namespace ?? namespace;
                    const gateway = model.named("Gateway", "gateway.networking.k8s.io", gwNamespace, parent.name);
                    if (!gateway) {
                        report(object, urn, `attaches to Gateway ${gwNamespace}/${parent.name}, which does not exist (IST0101)`, "create the Gateway (MeshGateway) or fix spec.parentRefs");
                    } else if (parent.sectionName && !(gateway.object.spec?.listeners ?? []).some((l: any) => l.name === parent.sectionName)) {
                        report(object, urn, `attaches to listener ${parent.sectionName} of Gateway ${gwNamespace}/${parent.name}, which has no such listener (IST0101)`, "use the listener of the route's hostname (https-<hostname>)");
                    }
                }
                (object.spec?.rules ?? []).forEach((rule: any) => {
                    for (const backend of rule.backendRefs ?? []) {
                        if ((backend.kind ?? "Service") !== "Service") {
                            continue;
                        }
                        const service = model.service(backend.name, backend.namespace ?? namespace);
                        if (!service) {
                            report(object, urn, `routes to Service ${backend.namespace ?? namespace}/${backend.name}, which does not exist (IST0101)`, "fix the backendRef, or declare the Service (a MeshService version)");
                        } else if (!(service.object.spec?.ports ?? []).some((p: any) => p.port === backend.port)) {
                            report(object, urn, `routes to port ${backend.port} of Service ${backend.namespace ?? namespace}/${backend.name}, which does not serve it (IST0101)`, "use a port the Service declares");
                        }
                    }
                });
            });
        }
    },
});

/** Workloads whose pods carry all of `labels`, in `namespace` (any namespace when undefined). */
function workloadsMatching(model: StackModel, namespace: string | undefined, selector: { matchLabels?: Record<string, string> }): StackObject[] {
    return model.workloadsIn(namespace).filter((workload) => labelSelectorMatches(selector, workload.podLabels)).map((workload) => workload.owner);
}

export const authorizationPolicySelectsWorkloads = stackRule({
    name: "authorization-policy-selects-workloads",
    description: "An AuthorizationPolicy with a selector applies to some workload of its namespace (istioctl analyze IST0127): a policy that selects nothing protects nothing, usually because of a label typo.",
    config: ["rootNamespace"],
    validate(model: StackModel, config: RuleConfig, report: StackReport) {
        for (const { object, urn } of model.ofKind("AuthorizationPolicy", "security.istio.io")) {
            known(() => {
                const selector = object.spec?.selector;
                if (!selector?.matchLabels) {
                    return;
                }
                const namespace = namespaceOf(object);
                if (workloadsMatching(model, namespace === config.rootNamespace ? undefined : namespace, selector).length === 0) {
                    report(object, urn, `selects no workload: no pod in ${namespace} carries ${JSON.stringify(selector.matchLabels)} (IST0127)`, "fix spec.selector.matchLabels to the workload's pod labels; a workload deployed elsewhere is declared with MeshService existingWorkload");
                }
            });
        }
    },
});

export const destinationRuleSubsetsSelectPods = stackRule({
    name: "destination-rule-subsets-select-pods",
    description: "Every DestinationRule subset selects pods of its host's Service (istioctl analyze IST0173): a subset without pods turns its traffic into errors.",
    validate(model: StackModel, _config: RuleConfig, report: StackReport) {
        for (const { object, urn } of model.ofKind("DestinationRule", "networking.istio.io")) {
            known(() => {
                const service = model.service(object.spec?.host ?? "", namespaceOf(object));
                if (!service) {
                    return; // hosts outside the registry are the VirtualService rule's concern
                }
                for (const subset of object.spec?.subsets ?? []) {
                    const labels = { ...service.object.spec?.selector, ...subset.labels };
                    if (workloadsMatching(model, namespaceOf(service.object), { matchLabels: labels }).length === 0) {
                        report(object, urn, `defines subset ${subset.name}, whose labels ${JSON.stringify(subset.labels ?? {})} select no pod of Service ${namespaceOf(service.object)}/${service.object.metadata.name} (IST0173)`, "fix the subset labels, or deploy the version (a MeshService version)");
                    }
                }
            });
        }
    },
});

export const referenceRules = [virtualServiceReferencesResolve, httpRouteReferencesResolve, authorizationPolicySelectsWorkloads, destinationRuleSubsetsSelectPods];
