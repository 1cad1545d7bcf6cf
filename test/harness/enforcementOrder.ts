import { Step } from "./eventLog";

/**
 * Whether an update of a stack's policy objects passes through a state with less protection than
 * before, or cuts a declared flow on the way, judged from the order in which the engine's event
 * log says each object began and finished changing. It reads what the objects do, not their
 * names, so it holds for promotion (audit → enforce), demotion (enforce → audit) and any other
 * change of policy alike.
 *
 * Objects act in one of two layers that enforce independently: the network layer (Kubernetes
 * NetworkPolicy, ClusterNetworkPolicy, Calico policy; Calico evaluates Kubernetes policies in
 * its own default tier, so they are one layer) and the mesh layer (Istio). An object's scope is
 * its namespace, or the whole cluster for a cluster-scoped object and for an Istio policy in the
 * root namespace without a selector (which applies mesh-wide).
 */

export type Effect = "deny" | "allow" | "observe";
type Layer = "network" | "mesh";

interface PolicyVersion {
    readonly layer: Layer;
    readonly scope: string;
    readonly effect: Effect;
    readonly name: string;
}

const cluster = "(cluster)";

/** A policy object that lists a direction but has no rule for it denies that direction. */
function deniesDirection(spec: any, types: string[]): boolean {
    return types.some((type) => !(spec?.[type.toLowerCase()] ?? []).length);
}

function calicoEffect(spec: any): Effect {
    const rules = [...spec?.ingress ?? [], ...spec?.egress ?? []];
    return rules.some((rule: any) => rule.action === "Deny") || deniesDirection(spec, spec?.types ?? []) ? "deny" : "allow";
}

/**
 * What one version of an object does, or undefined for an object that decides no flow. Staged
 * Calico policies and `istio.io/dry-run` AuthorizationPolicies observe: they are evaluated and
 * reported, never enforced (docs.tigera.io "Stage, preview impact, and enforce policy";
 * istio.io "Dry Run" task). A PeerAuthentication is left out: STRICT refuses plain text only,
 * and every declared flow is mutual TLS (it is how the AuthorizationPolicies know the caller),
 * so when it turns STRICT or PERMISSIVE cannot cut a declared flow.
 */
export function effectOf(inputs: Record<string, any> | undefined, rootNamespace = "istio-system"): PolicyVersion | undefined {
    if (!inputs?.kind || !inputs.apiVersion) {
        return undefined;
    }
    const group = String(inputs.apiVersion).split("/")[0];
    const { kind, spec = {}, metadata = {} } = inputs;
    const namespace: string | undefined = metadata.namespace;
    const name = `${kind} ${namespace ? `${namespace}/` : ""}${metadata.name}`;
    const network = (effect: Effect): PolicyVersion => ({ layer: "network", scope: namespace ?? cluster, effect, name });
    const mesh = (effect: Effect): PolicyVersion => ({
        layer: "mesh", scope: namespace === rootNamespace && !spec.selector && !spec.targetRefs?.length ? cluster : namespace ?? cluster, effect, name,
    });
    if (group === "networking.k8s.io" && kind === "NetworkPolicy") {
        return network(deniesDirection(spec, spec.policyTypes ?? ["Ingress"]) ? "deny" : "allow");
    }
    if (group === "policy.networking.k8s.io") {
        const rules = [...spec.ingress ?? [], ...spec.egress ?? []];
        return network(rules.some((rule: any) => rule.action === "Deny") ? "deny" : "allow");
    }
    if (group.endsWith("projectcalico.org") && /NetworkPolicy$/.test(kind)) {
        return network(kind.startsWith("Staged") ? "observe" : calicoEffect(spec));
    }
    if (group === "security.istio.io" && kind === "AuthorizationPolicy") {
        if (metadata.annotations?.["istio.io/dry-run"] === "true") {
            return mesh("observe");
        }
        const action = spec.action ?? "ALLOW";
        return mesh(action === "DENY" || (action === "ALLOW" && !(spec.rules ?? []).length) ? "deny" : "allow");
    }
    return undefined;
}

/** Whether a policy in `scope` can stand in for one in `other`: the same namespace, or either is cluster-wide. */
const overlaps = (a: PolicyVersion, b: PolicyVersion) => a.layer === b.layer && (a.scope === b.scope || a.scope === cluster || b.scope === cluster);

const writes = (step: Step) => ["create", "update", "create-replacement", "import", "import-replacement"].includes(step.op);
const removes = (step: Step) => ["delete", "delete-replaced"].includes(step.op);

/** Describes a step for a failure message. */
const at = (step: Step, version: PolicyVersion) => `${version.name} (${step.op}, events ${step.started}–${step.finished})`;

/**
 * Every way the update of `steps` lowers protection or cuts a declared flow on the way, each in
 * a sentence naming both objects; empty when it never does:
 * 1. a deny starts enforcing before an allow of its scope that the update leaves enforcing is on
 *    the server (the flows that allow admits are cut in between);
 * 2. an allow stops enforcing (deleted, or made observing) before a deny of its scope that the
 *    update also stops has stopped;
 * 3. a policy object is deleted before every object the update writes in its layer and scope is
 *    on the server: a staged object before its enforcing replacement, an enforcing one before
 *    the staged one that keeps observing its flows.
 */
export function enforcementOrderProblems(steps: Step[], rootNamespace = "istio-system"): string[] {
    const problems: string[] = [];
    const policy = steps.flatMap((step) => {
        const before = effectOf(step.before, rootNamespace);
        const after = effectOf(step.after, rootNamespace);
        return before || after ? [{ step, before, after }] : [];
    });
    // An allow is in place from the start when it enforced before the update; otherwise once written.
    const allowsAfter = policy.filter(({ step, after }) => !removes(step) && after?.effect === "allow")
        .map(({ step, before, after }) => ({ step, version: after!, inPlace: before?.effect === "allow" ? -Infinity : step.finished }));
    const replacedByAllow = new Set(policy.filter(({ step, after }) => step.op === "create-replacement" && after?.effect === "allow").map(({ step }) => step.urn));
    const stoppingDenies = policy.filter(({ step, before, after }) => before?.effect === "deny" && (removes(step) || (writes(step) && after?.effect !== "deny")));

    for (const { step, before, after } of policy) {
        if (writes(step) && after?.effect === "deny" && before?.effect !== "deny") {
            for (const allow of allowsAfter.filter((a) => a.step.urn !== step.urn && overlaps(a.version, after) && a.inPlace >= step.started)) {
                problems.push(`${at(step, after)} began enforcing before the allow ${at(allow.step, allow.version)} was on the server`);
            }
        }
        const stopsAllow = before?.effect === "allow" && ((removes(step) && !replacedByAllow.has(step.urn)) || (writes(step) && after?.effect !== "allow"));
        if (stopsAllow) {
            for (const deny of stoppingDenies.filter((d) => overlaps(d.before!, before!) && d.step.finished >= step.started)) {
                problems.push(`${at(step, before!)} stopped allowing while the deny ${at(deny.step, deny.before!)} still enforced`);
            }
        }
        if (removes(step) && before) {
            for (const written of policy.filter((p) => writes(p.step) && p.after && overlaps(p.after, before) && p.step.finished >= step.started)) {
                problems.push(`${at(step, before)} was deleted before ${at(written.step, written.after!)} was on the server`);
            }
        }
    }
    return problems;
}

/** How many steps of `steps` changed a policy object to or from each effect: what an ordering test must have seen to mean anything. */
export function effectChanges(steps: Step[], rootNamespace = "istio-system"): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const step of steps.filter((s) => s.op !== "same")) {
        const change = `${effectOf(step.before, rootNamespace)?.effect ?? "none"} → ${effectOf(step.after, rootNamespace)?.effect ?? "none"}`;
        if (change !== "none → none") {
            counts[change] = (counts[change] ?? 0) + 1;
        }
    }
    return counts;
}
