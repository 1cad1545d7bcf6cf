import { FlowExplanation, flowExplainer, formatFlowExplanation } from "../../analysis/explain";
import { DeclaredService, declaredServices, IntentDifference, intentDifferences, IntentError, summarize } from "../../analysis/intent";
import { reachability } from "../../analysis/reach";
import { RuleConfig } from "../config";
import { asEnforcedObjects, isObservingPolicy } from "../../analysis/enforcement/asEnforced";
import { KubeObject } from "../kubernetes";
import { stackRule } from "../policy";
import { StackModel, plainObjects } from "../stackModel";

/** The violation message and fix for one difference: what differs, then what decided it at each layer. */
function describe(difference: IntentDifference, explain: (src: string, dst: string) => FlowExplanation): { problem: string; fix: string } {
    const src = difference.kind === "undeclared" ? difference.flow.src.name : difference.src.name;
    const because = formatFlowExplanation(explain(src, difference.dst.name));
    return {
        problem: because ? `${summarize(difference)}; ${because}` : summarize(difference),
        fix: difference.kind === "undeclared"
            ? "remove the policy that admits it, or declare the caller in the MeshService"
            : "allow the declared flow at both layers (the caller's egress, the callee's ingress and AuthorizationPolicy), or remove it from the declaration",
    };
}

export const reachabilityMatchesIntent = stackRule({
    name: "reachability-matches-intent",
    description: "What the policies of the stack allow, at both layers, equals what each MeshService declared: no flow allowed that no service declared, and no declared flow blocked (by a missing egress, a Deny, or an L7 rule narrower than declared). In audit mode it checks the as-enforced view, staged and dry-run policies counted as enforcing (what promotion will enforce), and that the current view refuses no declared caller (audit mode must refuse nothing).",
    validate(model: StackModel, _config: RuleConfig, report: (object: KubeObject, urn: string, problem: string, fix: string) => void) {
        // The as-enforced view: in audit mode the current one allows everything by design, and
        // what must match the intent is what promotion will enforce. Without staged or dry-run
        // objects both views are one.
        const planned = plainObjects(model);
        const auditing = planned.some(isObservingPolicy);
        const objects = auditing ? asEnforcedObjects(planned) : planned;
        let services: DeclaredService[];
        try {
            services = declaredServices(objects);
        } catch (error) {
            if (!(error instanceof IntentError)) {
                throw error;
            }
            const service = model.named("Service", "", error.namespace, error.name)!;
            report(service.object, service.urn, `has declared callers that cannot be read: ${error.problem}`, "write the annotation as MeshService does, or remove it");
            return;
        }
        // Without declared intent there is nothing to compare, and the analysis is the rule's cost.
        if (services.length === 0) {
            return;
        }
        const explain = flowExplainer(objects);
        for (const difference of intentDifferences(objects, reachability(objects, { istio: true }), services)) {
            const service = model.named("Service", "", difference.service.namespace, difference.service.name);
            if (service) {
                const { problem, fix } = describe(difference, explain);
                report(service.object, service.urn, auditing ? `once enforced ${problem}` : problem, fix);
            }
        }
        if (auditing) {
            // Audit mode exists to refuse nothing while it observes: a declared caller refused in
            // the current view is an outage now, before any promotion. A Calico policy that
            // selects a pod isolates it in its tier, allows included, as a NetworkPolicy does.
            const explainNow = flowExplainer(planned);
            const refusedNow = intentDifferences(planned, reachability(planned, { istio: true }), services).filter((difference) => difference.kind !== "undeclared");
            for (const difference of refusedNow) {
                const service = model.named("Service", "", difference.service.namespace, difference.service.name);
                if (service) {
                    const { problem } = describe(difference, explainNow);
                    report(service.object, service.urn, `is in audit mode, which must refuse nothing, yet now ${problem}`,
                        "stage (or dry-run) every policy of the audited scope that isolates the caller or the service, allows included, or enforce the scope");
                }
            }
        }
    },
});

export const intentRules = [reachabilityMatchesIntent];
