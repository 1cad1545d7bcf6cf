/**
 * Rules about rolling zero trust out in audit mode: where audit mode may run, and what promoting
 * an audit stack to enforce would cut.
 */
import { RuleConfig, isExempt, stackNameMatches } from "../config";
import { StackUnderReview, observingObjects, stackUnderReview } from "../enforcement";
import { KubeObject, describe } from "../kubernetes";
import { stackRule } from "../policy";
import { StackModel } from "../stackModel";

type StackReport = (object: KubeObject, urn: string, problem: string, fix: string) => void;

/** The stack as the object a message names. */
function stackObject(stack: StackUnderReview): KubeObject {
    return { apiVersion: "", kind: "Stack", metadata: { name: stack.name } };
}

export const productionNotInAudit = stackRule({
    name: "production-not-in-audit",
    description: "A production stack (its name matches productionStacks, default prod*) is not in audit mode: it neither declares ztmesh:enforcement: audit nor deploys staged Calico policies or dry-run AuthorizationPolicies, whatever it declares.",
    config: ["productionStacks"],
    validate(model: StackModel, config: RuleConfig, report: StackReport) {
        // The stack's name and declared enforcement come from the engine (see stackUnderReview).
        const stack = stackUnderReview();
        const pattern = config.productionStacks.find((candidate) => stackNameMatches(candidate, stack.name));
        if (pattern === undefined) {
            return;
        }
        // Exemptions are applied here, not per message: the violation is one, on the stack, and
        // lists every observing object that is not exempt (a reviewed staged preview of a change).
        const observing = observingObjects(model).filter(({ object }) => !isExempt(object, config.exemptions));
        const declared = stack.declared === "audit";
        if (!declared && observing.length === 0) {
            return;
        }
        const why = [
            ...(declared ? ["it declares ztmesh:enforcement: audit"] : []),
            ...(observing.length ? [`${observing.length} of its objects observe instead of enforcing (${observing.map(({ object }) => describe(object)).join(", ")})`] : []),
        ];
        report(stackObject(stack), "", `is a production stack (productionStacks "${pattern}") in audit mode: ${why.join("; ")}, so its default-deny and allow policies enforce nothing`,
            "promote it: set ztmesh:enforcement: enforce and remove every enforcement: audit of its namespaces and services (once the enforcement impact of the observed flows is empty), or exempt a reviewed staged preview by name");
    },
});

export const rolloutRules = [productionNotInAudit];
