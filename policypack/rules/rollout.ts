/**
 * Rules about rolling zero trust out in audit mode: where audit mode may run, and what promoting
 * an audit stack to enforce would cut.
 */
import { asEnforcedObjects } from "../../analysis/enforcement/asEnforced";
import { DeclaredService, IntentError, declaredServices, declaredTargets, intentDifferences, summarize } from "../../analysis/intent";
import { formatConnectionSet } from "../../analysis/netpol/format";
import { IntervalSet } from "../../analysis/netpol/intervals";
import { ConnectionSet, protocols } from "../../analysis/netpol/ports";
import { Flow, reachability } from "../../analysis/reach";
import { RuleConfig, isExempt, stackNameMatches } from "../config";
import { StackUnderReview, declaredAuditScopes, inAuditMode, observingObjects, stackUnderReview } from "../enforcement";
import { KubeObject, describe } from "../kubernetes";
import { stackRule } from "../policy";
import { StackModel, plainObjects } from "../stackModel";

type StackReport = (object: KubeObject, urn: string, problem: string, fix: string) => void;

/** The stack as the object a message names. */
function stackObject(stack: StackUnderReview): KubeObject {
    return { apiVersion: "", kind: "Stack", metadata: { name: stack.name } };
}

export const productionNotInAudit = stackRule({
    name: "production-not-in-audit",
    description: "A production stack (its name matches productionStacks, default prod*) is not in audit mode: it neither declares audit mode (ztmesh:enforcement, a namespace's or a service's) nor deploys staged Calico policies or dry-run AuthorizationPolicies, whatever it declares.",
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
        const declared = declaredAuditScopes(stack);
        if (declared.length === 0 && observing.length === 0) {
            return;
        }
        const why = [
            ...(declared.length ? [`it declares audit mode for ${declared.join(", ")}`] : []),
            ...(observing.length ? [`${observing.length} of its objects observe instead of enforcing (${observing.map(({ object }) => describe(object)).join(", ")})`] : []),
        ];
        report(stackObject(stack), "", `is a production stack (productionStacks "${pattern}") in audit mode: ${why.join("; ")}, so its default-deny and allow policies enforce nothing`,
            "promote it: set ztmesh:enforcement: enforce and remove every enforcement: audit of its namespaces and services (once the enforcement impact of the observed flows is empty), or exempt a reviewed staged preview by name");
    },
});

/** What of `now` the as-enforced flow `enforced` (absent: nothing) no longer allows, per protocol. */
function cutConnections(now: Flow, enforced: Flow | undefined): ConnectionSet {
    return protocols.reduce((cut, protocol) =>
        cut.union(ConnectionSet.of(protocol, now.allowed.ports(protocol).subtract(enforced?.allowed.ports(protocol) ?? IntervalSet.empty))), ConnectionSet.none);
}

/** A flow the as-enforced view cuts, in a message: the pair and the connections cut. */
function describeCut(now: Flow, cut: ConnectionSet): string {
    return `${now.src.name} → ${now.dst.name} (${formatConnectionSet(cut)})`;
}

export const auditEnforcementImpact = stackRule({
    name: "audit-enforcement-impact",
    description: "In a stack in audit mode, what promoting it to enforce would cut, from its planned objects: per declared Service, the flows the policies allow now (staged and dry-run policies enforcing nothing) that the as-enforced view refuses, and which of them a declared caller needs; then the flows cut into workloads no MeshService declares. Advisory: it lists, for review before promotion.",
    enforcementLevel: "advisory",
    validate(model: StackModel, _config: RuleConfig, report: StackReport) {
        const stack = stackUnderReview();
        if (!inAuditMode(model, stack)) {
            return;
        }
        const objects = plainObjects(model);
        let services: DeclaredService[];
        try {
            services = declaredServices(objects);
        } catch (error) {
            if (error instanceof IntentError) {
                return; // reachability-matches-intent names the unreadable declaration
            }
            throw error;
        }
        const enforcedObjects = asEnforcedObjects(objects);
        const enforcedBetween = new Map(reachability(enforcedObjects, { istio: true }).map((flow) => [`${flow.src.name} ${flow.dst.name}`, flow]));
        const cuts = reachability(objects, { istio: true }).flatMap((now) => {
            const cut = cutConnections(now, enforcedBetween.get(`${now.src.name} ${now.dst.name}`));
            return cut.isEmpty() ? [] : [{ now, cut }];
        });
        // Declared callers the as-enforced view blocks or narrows: what promotion would break.
        const broken = intentDifferences(enforcedObjects, [...enforcedBetween.values()], services).filter((difference) => difference.kind !== "undeclared");
        const serviceOf = new Map(declaredTargets(objects, services).flatMap(({ service, workloads }) => workloads.map(({ name }) => [name, service] as const)));
        const undeclaredTargets: string[] = [];
        for (const service of services) {
            const into = cuts.filter(({ now }) => serviceOf.get(now.dst.name) === service).map(({ now, cut }) => describeCut(now, cut));
            const breaks = broken.filter((difference) => difference.service === service).map(summarize);
            const target = model.named("Service", "", service.namespace, service.name);
            if (target && (into.length || breaks.length)) {
                const parts = [
                    ...(into.length ? [`once enforced would cut ${into.length} flow(s) the policies allow now: ${into.join(", ")}`] : []),
                    ...(breaks.length ? [`and would break what it declares: it ${breaks.join("; it ")}`] : []),
                ];
                report(target.object, target.urn, parts.join("; "), breaks.length
                    ? "declare or allow the broken callers before promoting (reachability-matches-intent names what denies them)"
                    : "before promoting, check the observed flows (ztmesh reach --as-enforced --observed) against this list, and declare every caller that is real traffic");
            }
        }
        for (const { now, cut } of cuts) {
            if (!serviceOf.has(now.dst.name)) {
                undeclaredTargets.push(describeCut(now, cut));
            }
        }
        if (undeclaredTargets.length) {
            report(stackObject(stack), "", `once enforced would cut ${undeclaredTargets.length} flow(s) into workloads no MeshService declares: ${undeclaredTargets.join(", ")}`,
                "declare those workloads as MeshServices with their callers, or confirm nothing calls them");
        }
    },
});

export const rolloutRules = [productionNotInAudit, auditEnforcementImpact];
