import { declaredServices, IntentDifference, intentDifferences, IntentError, NamedWorkload, summarize } from "../../components/analysis/intent";
import { KubeObject as AnalysisObject } from "../../components/analysis/manifests";
import { reachability } from "../../components/analysis/reach";
import { RuleConfig } from "../config";
import { selects } from "../calicoSelectors";
import { KubeObject, groupOf, known, labelSelectorMatches } from "../kubernetes";
import { stackRule } from "../policy";
import { StackModel } from "../stackModel";

/** The stack's Kubernetes objects as plain data for the analysis; objects with unknown parts are left out. */
function plainObjects(model: StackModel): AnalysisObject[] {
    return model.objects.flatMap(({ object }) => known(() => [JSON.parse(JSON.stringify(object)) as AnalysisObject]) ?? []);
}

/**
 * The policy objects that select `workload`: where to look for what lets a flow through or
 * blocks it (the analysis computes the outcome, not which rule decided it).
 */
function policiesOn(model: StackModel, { workload }: NamedWorkload): string {
    const labels = { ...workload.labels };
    const namespaceLabels = { "projectcalico.org/name": workload.namespace, "kubernetes.io/metadata.name": workload.namespace };
    const name = (object: KubeObject) => (object.metadata.namespace ? `${object.kind} ${object.metadata.namespace}/${object.metadata.name}` : `${object.kind} ${object.metadata.name}`);
    const kubernetes = model.inNamespace("NetworkPolicy", workload.namespace)
        .filter(({ object }) => known(() => (groupOf(object) === "networking.k8s.io" ? labelSelectorMatches(object.spec?.podSelector ?? {}, labels) : selects(object.spec?.selector, labels))) ?? false);
    const calico = ["projectcalico.org", "crd.projectcalico.org"].flatMap((group) => model.ofKind("GlobalNetworkPolicy", group))
        .filter(({ object }) => known(() => selects(object.spec?.namespaceSelector, namespaceLabels) && selects(object.spec?.selector, labels)) ?? false);
    const istio = model.inNamespace("AuthorizationPolicy", workload.namespace)
        .filter(({ object }) => known(() => labelSelectorMatches(object.spec?.selector ?? {}, labels)) ?? false);
    return [...calico, ...kubernetes, ...istio].map(({ object }) => name(object)).join(", ") || "none";
}

/** The violation message and fix for one difference: what differs, then the policies to look at. */
function describe(model: StackModel, difference: IntentDifference): { problem: string; fix: string } {
    if (difference.kind === "undeclared") {
        return {
            problem: `${summarize(difference)}; policies selecting the destination: ${policiesOn(model, difference.dst)}`,
            fix: "remove the policy that admits it, or declare the caller in the MeshService",
        };
    }
    return {
        problem: `${summarize(difference)}; policies selecting the source: ${policiesOn(model, difference.src)}; the destination: ${policiesOn(model, difference.dst)}`,
        fix: "allow the declared flow at both layers (the caller's egress, the callee's ingress and AuthorizationPolicy), or remove it from the declaration",
    };
}

export const reachabilityMatchesIntent = stackRule({
    name: "reachability-matches-intent",
    description: "What the policies of the stack allow, at both layers, equals what each MeshService declared: no flow allowed that no service declared, and no declared flow blocked (by a missing egress, a Deny, or an L7 rule narrower than declared).",
    validate(model: StackModel, _config: RuleConfig, report: (object: KubeObject, urn: string, problem: string, fix: string) => void) {
        const objects = plainObjects(model);
        try {
            // Without declared intent there is nothing to compare, and the analysis is the rule's cost.
            if (declaredServices(objects).length === 0) {
                return;
            }
        } catch (error) {
            if (!(error instanceof IntentError)) {
                throw error;
            }
            const service = model.named("Service", "", error.namespace, error.name)!;
            report(service.object, service.urn, error.problem, "write the annotation as MeshService does, or remove it");
            return;
        }
        for (const difference of intentDifferences(objects, reachability(objects, { istio: true }))) {
            const service = model.named("Service", "", difference.service.namespace, difference.service.name);
            if (service) {
                const { problem, fix } = describe(model, difference);
                report(service.object, service.urn, problem, fix);
            }
        }
    },
});

export const intentRules = [reachabilityMatchesIntent];
