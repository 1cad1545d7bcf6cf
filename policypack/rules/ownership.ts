import { PlatformHandle, teamLabel } from "../../components/platform/handle";
import { RuleConfig } from "../config";
import { asEnforced } from "../enforcement";
import { KubeObject, groupOf, known, namespaceOf } from "../kubernetes";
import { stackRule } from "../policy";
import { StackModel, StackObject } from "../stackModel";

type StackReport = (object: KubeObject, urn: string, problem: string, fix: string) => void;

const namespaceNameLabel = "kubernetes.io/metadata.name";

/**
 * Whether `object` is the one object a team may create outside its namespaces: the egress
 * NetworkPolicy of a public service, in the gateway's namespace, which selects the gateway's
 * pods and lets them reach the team's namespaces only (egress is enforced at the caller, so
 * it must live with the gateway).
 */
function isGatewayEgress(object: KubeObject, handle: PlatformHandle, teamNamespaces: readonly string[]): boolean {
    const gateway = handle.gateway;
    // In audit mode the same policy is staged (a StagedKubernetesNetworkPolicy), with the same spec.
    const enforced = known(() => asEnforced(object));
    if (!gateway || enforced?.kind !== "NetworkPolicy" || groupOf(enforced) !== "networking.k8s.io" || namespaceOf(object) !== gateway.namespace) {
        return false;
    }
    return known(() => {
        const spec = enforced.spec ?? {};
        const selects = spec.podSelector ?? {};
        const selectsGateway = !(selects.matchExpressions ?? []).length
            && JSON.stringify(Object.entries(selects.matchLabels ?? {}).sort()) === JSON.stringify(Object.entries(gateway.identity.podLabels).sort());
        const egressOnly = JSON.stringify(spec.policyTypes ?? []) === JSON.stringify(["Egress"]) && !(spec.ingress ?? []).length;
        const rules: { to?: { namespaceSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] }; ipBlock?: unknown }[] }[] = spec.egress ?? [];
        const intoTeam = rules.length > 0 && rules.every((rule) => (rule.to ?? []).length > 0 && (rule.to ?? []).every((peer) =>
            !peer.ipBlock && !(peer.namespaceSelector?.matchExpressions ?? []).length && teamNamespaces.includes(peer.namespaceSelector?.matchLabels?.[namespaceNameLabel] ?? "")));
        return selectsGateway && egressOnly && intoTeam;
    }) ?? false;
}

export const teamObjectsInOwnNamespaces = stackRule({
    name: "team-objects-in-own-namespaces",
    description: "In an application stack (one that registers a ztmesh platform stack's handle as a PlatformReference), every Kubernetes object names its team (label ztmesh.io/team, one team per stack) and lives in a namespace the platform gives that team; the only exception is a public service's egress NetworkPolicy (or its staged form, in audit mode) in the gateway's namespace, reaching the team's namespaces only. Cluster-scoped objects are the platform's.",
    validate(model: StackModel, _config: RuleConfig, report: StackReport) {
        const { handle, problem, reference } = model.platform;
        if (problem !== undefined) {
            const object: KubeObject = { apiVersion: "", kind: "PlatformReference", metadata: { name: reference?.name } };
            report(object, reference?.urn ?? "", problem, "reference one platform stack whose handle this pack reads (run both with the same ztmesh release)");
            return;
        }
        if (!handle) {
            return;
        }
        const owned = new Map<string, string[]>();
        for (const ns of handle.namespaces) {
            owned.set(ns.team, [...(owned.get(ns.team) ?? []), ns.name]);
        }
        const own: StackObject[] = model.objects.filter((entry) => !entry.fromPlatform);
        const teams = new Set(own.map(({ object }) => known(() => object.metadata.labels?.[teamLabel])).filter((team): team is string => team !== undefined));
        for (const { object, urn } of own) {
            const team = known(() => object.metadata.labels?.[teamLabel] as string | undefined);
            const namespace = known(() => object.metadata.namespace as string | undefined);
            const namespaces = team === undefined ? undefined : owned.get(team);
            if (team === undefined) {
                report(object, urn, `carries no ${teamLabel} label, so it belongs to no team of the platform`, `deploy it from the team's application stack (ztmesh labels every object it creates there), or label it ${teamLabel}: <team>`);
            } else if (namespaces === undefined) {
                report(object, urn, `names team "${team}", which the platform does not know (teams: ${[...owned.keys()].join(", ")})`, "use a team of the platform stack's ztmesh:teams");
            } else if (teams.size > 1) {
                report(object, urn, `is one of objects of teams ${[...teams].sort().join(", ")} in one stack`, "deploy each team's objects from its own application stack");
            } else if (namespace === undefined || namespace === "") {
                report(object, urn, `has no namespace (it is cluster-scoped, or lands in "default"), and cluster-wide objects are the platform's`, `put it in a namespace of team "${team}" (${namespaces.join(", ")}), or have the platform stack create it`);
            } else if (!namespaces.includes(namespace) && !isGatewayEgress(object, handle, namespaces)) {
                const owner = handle.namespaces.find((ns) => ns.name === namespace)?.team;
                report(object, urn, `is in namespace "${namespace}", ${owner ? `which team "${owner}" owns` : "which is not an application namespace of the platform"}, not in a namespace of team "${team}"`, `create it in one of ${namespaces.join(", ")}, or from the stack of the team that owns "${namespace}"`);
            }
        }
    },
});

export const ownershipRules = [teamObjectsInOwnNamespaces];
