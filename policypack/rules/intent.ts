import { calicoExplainer, formatExplanation, PairExplanation } from "../../components/analysis/calico";
import { declaredServices, IntentDifference, intentDifferences, IntentError, NamedWorkload, summarize } from "../../components/analysis/intent";
import { KubeObject as AnalysisObject } from "../../components/analysis/manifests";
import { reachability } from "../../components/analysis/reach";
import { RuleConfig } from "../config";
import { KubeObject, known, labelSelectorMatches } from "../kubernetes";
import { stackRule } from "../policy";
import { StackModel } from "../stackModel";

/** The stack's Kubernetes objects as plain data for the analysis; objects with unknown parts are left out. */
function plainObjects(model: StackModel): AnalysisObject[] {
    return model.objects.flatMap(({ object }) => known(() => [JSON.parse(JSON.stringify(object)) as AnalysisObject]) ?? []);
}

/** The AuthorizationPolicies that apply to `workload`: where layer 7 admits or narrows a flow. */
function authorizationPoliciesOn(model: StackModel, { workload }: NamedWorkload): string {
    const labels = { ...workload.labels };
    return model.inNamespace("AuthorizationPolicy", workload.namespace)
        .filter(({ object }) => known(() => labelSelectorMatches(object.spec?.selector ?? {}, labels)) ?? false)
        .map(({ object }) => `AuthorizationPolicy ${object.metadata.namespace}/${object.metadata.name}`)
        .join(", ") || "none";
}

/**
 * The violation message and fix for one difference: what differs, then what decided it: at
 * L3/4 the policy objects whose rules allowed or denied the pair, at L7 the
 * AuthorizationPolicies on the destination.
 */
function describe(model: StackModel, difference: IntentDifference, explain: (src: string, dst: string) => PairExplanation | undefined): { problem: string; fix: string } {
    const src = difference.kind === "undeclared" ? difference.flow.src.name : difference.src.name;
    const explanation = explain(src, difference.dst.name);
    const layer4 = explanation ? `; L3/4: ${formatExplanation(explanation, src, difference.dst.name)}` : "";
    const layer7 = `; L7: AuthorizationPolicies on the destination: ${authorizationPoliciesOn(model, difference.dst)}`;
    if (difference.kind === "undeclared") {
        return {
            problem: `${summarize(difference)}${layer4}${layer7}`,
            fix: "remove the policy that admits it, or declare the caller in the MeshService",
        };
    }
    return {
        problem: `${summarize(difference)}${difference.kind === "blocked" ? layer4 : layer7}`,
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
        const explain = calicoExplainer(objects);
        for (const difference of intentDifferences(objects, reachability(objects, { istio: true }))) {
            const service = model.named("Service", "", difference.service.namespace, difference.service.name);
            if (service) {
                const { problem, fix } = describe(model, difference, explain);
                report(service.object, service.urn, problem, fix);
            }
        }
    },
});

export const intentRules = [reachabilityMatchesIntent];
