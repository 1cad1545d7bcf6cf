import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as jsYaml from "js-yaml";
import { isClusterScoped, notEvaluatedReason, servedKindProblem, servedKinds } from "../../analysis/schema/servedKinds";
import { projectRoot } from "../harness/stackConfig";

const crdsRoot = path.resolve(projectRoot, "..", "shared", "crds");

interface Crd { spec: { group: string; scope: string; names: { kind: string } } }

/** The pinned CRDs: group → kind → scope. */
function pinnedCrds(): Map<string, Map<string, string>> {
    const groups = new Map<string, Map<string, string>>();
    for (const file of fs.readdirSync(crdsRoot).filter((name) => name.endsWith(".yaml"))) {
        for (const document of jsYaml.loadAll(fs.readFileSync(path.join(crdsRoot, file), "utf8")) as Array<{ kind?: string } | null>) {
            if (document?.kind !== "CustomResourceDefinition") {
                continue;
            }
            const { spec } = document as unknown as Crd;
            const kinds = groups.get(spec.group) ?? new Map<string, string>();
            kinds.set(spec.names.kind, spec.scope);
            groups.set(spec.group, kinds);
        }
    }
    return groups;
}

/** Served by an API server rather than a pinned CRD: Calico's API server's read-only kinds, and network-policy-api's v1alpha1 kinds. */
const notFromPinnedCrds: Record<string, string[]> = {
    "projectcalico.org": ["Profile", "WorkloadEndpoint"],
    "policy.networking.k8s.io": ["AdminNetworkPolicy", "BaselineAdminNetworkPolicy"],
};

describe("the kinds each policy group serves (servedKinds.ts)", () => {
    const crds = pinnedCrds();

    it("lists exactly the kinds of the pinned CRDs of each group, with their scope", () => {
        for (const [group, kinds] of Object.entries(servedKinds)) {
            if (group === "networking.k8s.io") {
                continue; // built in
            }
            const pinned = crds.get(group);
            assert.ok(pinned, `no pinned CRDs of ${group}`);
            assert.deepStrictEqual([...kinds].filter((kind) => !(notFromPinnedCrds[group] ?? []).includes(kind)).sort(), [...pinned.keys()].sort(), group);
            for (const [kind, scope] of pinned) {
                assert.strictEqual(isClusterScoped({ apiVersion: `${group}/v1`, kind }), scope === "Cluster", `${group} ${kind}`);
            }
        }
    });

    it("knows the served kinds of a group apart from the misspelt, and the evaluated from the left out", () => {
        assert.strictEqual(servedKindProblem({ apiVersion: "crd.projectcalico.org/v1", kind: "IPPool" }), undefined);
        assert.strictEqual(servedKindProblem({ apiVersion: "v1", kind: "ConfigMap" }), undefined, "groups without policy are not checked");
        assert.match(servedKindProblem({ apiVersion: "projectcalico.org/v3", kind: "networksets" }) ?? "", /did you mean NetworkSet\?/);
        assert.match(servedKindProblem({ apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "AdminNetworkPolicies" }) ?? "", /did you mean AdminNetworkPolicy\?/);
        assert.match(notEvaluatedReason({ apiVersion: "crd.projectcalico.org/v1", kind: "StagedGlobalNetworkPolicy" }) ?? "", /staged policy/);
        assert.match(notEvaluatedReason({ apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "AdminNetworkPolicy" }) ?? "", /cluster-wide policy of network-policy-api v1alpha1/);
        assert.strictEqual(notEvaluatedReason({ apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy" }), undefined, "evaluated");
        assert.strictEqual(notEvaluatedReason({ apiVersion: "projectcalico.org/v3", kind: "GlobalNetworkPolicy" }), undefined);
        assert.strictEqual(notEvaluatedReason({ apiVersion: "projectcalico.org/v3", kind: "IPPool" }), undefined);
    });
});
