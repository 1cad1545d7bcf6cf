import { KubeObject as AnalysisObject } from "../../components/analysis/manifests";
import { formatConnectionSet } from "../../components/analysis/netpol";
import { IntervalSet } from "../../components/analysis/netpol/intervals";
import { Flow, reachability } from "../../components/analysis/reach";
import { DeclaredCaller, callersAnnotation } from "../../components/wellKnown";
import { RuleConfig } from "../config";
import { selects } from "../calicoSelectors";
import { KubeObject, groupOf, known, labelSelectorMatches, namespaceOf } from "../kubernetes";
import { stackRule } from "../policy";
import { StackModel, StackObject } from "../stackModel";

type StackReport = (object: KubeObject, urn: string, problem: string, fix: string) => void;
type WorkloadEndpoint = Extract<Flow["src"], { kind: "workload" }>;

/** The stack's Kubernetes objects as plain data for the analysis; objects with unknown parts are left out. */
function plainObjects(model: StackModel): AnalysisObject[] {
    return model.objects.flatMap(({ object }) => known(() => [JSON.parse(JSON.stringify(object)) as AnalysisObject]) ?? []);
}

function isCaller(declared: DeclaredCaller, workload: WorkloadEndpoint["workload"]): boolean {
    return workload.namespace === declared.namespace && labelSelectorMatches({ matchLabels: declared.podLabels }, { ...workload.labels });
}

/** The TCP ports of a flow, as a list, for messages. */
function tcpPorts(flow: Flow | undefined, candidates: number[]): number[] {
    return candidates.filter((port) => flow?.allowed.ports("TCP").contains(port) ?? false);
}

/** Whether the flow's L7 grants admit every declared method (and path, compared as declared). */
function l7Admits(flow: Flow, declared: DeclaredCaller): boolean {
    if (!flow.l7) {
        return true;
    }
    const admits = (set: { include: "*" | readonly string[]; exclude: readonly string[] }, value: string) =>
        (set.include === "*" || set.include.includes(value)) && !set.exclude.includes(value);
    return (declared.methods ?? ["GET"]).every((method) => (declared.paths ?? ["/"]).every((path) =>
        flow.l7!.some((grant) => admits(grant.methods, method) && (grant.paths.include === "*" || admits(grant.paths, path)))));
}

/**
 * The policy objects that select `workload`: where to look for what lets a flow through or
 * blocks it (the analysis computes the outcome, not which rule decided it).
 */
function policiesOn(model: StackModel, workload: WorkloadEndpoint["workload"]): string[] {
    const labels = { ...workload.labels };
    const namespaceLabels = { "projectcalico.org/name": workload.namespace, "kubernetes.io/metadata.name": workload.namespace };
    const name = (object: KubeObject) => (object.metadata.namespace ? `${object.kind} ${object.metadata.namespace}/${object.metadata.name}` : `${object.kind} ${object.metadata.name}`);
    const kubernetes = model.inNamespace("NetworkPolicy", workload.namespace)
        .filter(({ object }) => known(() => (groupOf(object) === "networking.k8s.io" ? labelSelectorMatches(object.spec?.podSelector ?? {}, labels) : selects(object.spec?.selector, labels))) ?? false);
    const calico = ["projectcalico.org", "crd.projectcalico.org"].flatMap((group) => model.ofKind("GlobalNetworkPolicy", group))
        .filter(({ object }) => known(() => selects(object.spec?.namespaceSelector, namespaceLabels) && selects(object.spec?.selector, labels)) ?? false);
    const istio = model.inNamespace("AuthorizationPolicy", workload.namespace)
        .filter(({ object }) => known(() => labelSelectorMatches(object.spec?.selector ?? {}, labels)) ?? false);
    return [...calico, ...kubernetes, ...istio].map(({ object }) => name(object));
}

export const reachabilityMatchesIntent = stackRule({
    name: "reachability-matches-intent",
    description: "What the policies of the stack allow, at both layers, equals what each MeshService declared: no flow allowed that no service declared, and no declared flow blocked (by a missing egress, a Deny, or an L7 rule narrower than declared).",
    validate(model: StackModel, _config: RuleConfig, report: StackReport) {
        const services = model.ofKind("Service", "").flatMap((service) => {
            const declared = known(() => service.object.metadata.annotations?.[callersAnnotation]);
            return declared ? [{ service, declared: JSON.parse(declared) as DeclaredCaller[], selector: known(() => ({ ...service.object.spec?.selector })) ?? {} }] : [];
        });
        if (services.length === 0) {
            return;
        }
        const flows = reachability(plainObjects(model), { istio: true });
        const workloads = [...new Map(flows.flatMap((f) => [f.src, f.dst]).filter((e): e is WorkloadEndpoint => e.kind === "workload").map((e) => [e.name, e])).values()];
        const flowBetween = new Map(flows.map((flow) => [`${flow.src.name} ${flow.dst.name}`, flow]));
        for (const { service, declared, selector } of services) {
            const targets = workloads.filter((w) => w.workload.namespace === namespaceOf(service.object) && labelSelectorMatches({ matchLabels: selector }, { ...w.workload.labels }));
            for (const target of targets) {
                checkAllowedFlows(model, flows, service, declared, target, report);
                checkDeclaredFlows(model, workloads, flowBetween, service, declared, target, report);
            }
        }
    },
});

/** Flows into `target` that no declared caller covers (another source, another protocol, or ports beyond the declared ones). */
function checkAllowedFlows(model: StackModel, flows: Flow[], service: StackObject, declared: DeclaredCaller[], target: WorkloadEndpoint, report: StackReport): void {
    for (const flow of flows.filter((f) => f.dst.name === target.name)) {
        const source = flow.src;
        const callers = source.kind === "workload" ? declared.filter((d) => isCaller(d, source.workload)) : [];
        const declaredPorts = IntervalSet.of(callers.flatMap((d) => d.ports).map((port) => ({ start: port, end: port })));
        const otherProtocols = (["UDP", "SCTP"] as const).some((protocol) => !flow.allowed.ports(protocol).isEmpty());
        if (callers.length === 0 || otherProtocols || !flow.allowed.ports("TCP").subtract(declaredPorts).isEmpty()) {
            report(service.object, service.urn, `lets ${flow.src.name} reach ${flow.dst.name} (${formatConnectionSet(flow.allowed)}), which no declared caller covers; policies selecting the destination: ${policiesOn(model, target.workload).join(", ") || "none"}`,
                "remove the policy that admits it, or declare the caller in the MeshService");
        }
    }
}

/** Declared callers whose flow into `target` is missing, lacks a declared port, or is narrower at L7. */
function checkDeclaredFlows(model: StackModel, workloads: WorkloadEndpoint[], flowBetween: Map<string, Flow>, service: StackObject, declared: DeclaredCaller[], target: WorkloadEndpoint, report: StackReport): void {
    for (const caller of declared) {
        for (const source of workloads.filter((w) => w !== target && isCaller(caller, w.workload))) {
            const flow = flowBetween.get(`${source.name} ${target.name}`);
            const missing = caller.ports.filter((port) => !tcpPorts(flow, [port]).length);
            if (missing.length || (flow && !l7Admits(flow, caller))) {
                const what = missing.length ? `TCP ${missing.join(", ")} is blocked` : `its declared requests (${(caller.methods ?? ["any method"]).join(", ")} ${(caller.paths ?? ["any path"]).join(", ")}) are narrowed at L7`;
                report(service.object, service.urn, `declares ${source.name} as a caller of ${target.name}, but ${what}; policies selecting the source: ${policiesOn(model, source.workload).join(", ") || "none"}; the destination: ${policiesOn(model, target.workload).join(", ") || "none"}`,
                    "allow the declared flow at both layers (the caller's egress, the callee's ingress and AuthorizationPolicy), or remove it from the declaration");
            }
        }
    }
}

export const intentRules = [reachabilityMatchesIntent];
