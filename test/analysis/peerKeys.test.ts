import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseSelector } from "../../analysis/calicoSelector";
import { compileEntity, EntityRule } from "../../analysis/calico/entity";
import { endpointIdentity } from "../../analysis/calico/peers";
import { kubernetesTierPolicy } from "../../analysis/calico/kubernetesPolicies";
import { EndpointIdentity, TierPolicy } from "../../analysis/calico/model";
import { identityKeys, KeyIndex, selectorKeys } from "../../analysis/calico/peerKeys";
import { parseCalicoPolicy } from "../../analysis/calico/policy";
import { tiersOf } from "../../analysis/calico/tiers";
import { parseNetworkPolicy } from "../../analysis/netpol/policy";
import { projectRoot } from "../harness/stackConfig";

/**
 * Index keys only skip work if they are necessary conditions: whatever a selector, a rule side
 * or a policy matches must share a key with it (or it has none). Checked on libcalico-go's
 * selector vectors and on every combination of a set of rules and endpoints.
 */
const shares = (keys: readonly string[] | undefined, identity: EndpointIdentity) =>
    keys === undefined || keys.some((key) => identityKeys(identity).includes(key));

const identity = (namespace: string, labels: Record<string, string>, namespaceLabels: Record<string, string> = {}, serviceAccount = "default") =>
    endpointIdentity({ namespace, name: "w", kind: "Deployment", labels, containerPorts: [] }, { "kubernetes.io/metadata.name": namespace, ...namespaceLabels }, serviceAccount);

const endpoints: EndpointIdentity[] = [
    identity("shop", { app: "web", tier: "front" }, { team: "a" }, "web"),
    identity("shop", { app: "api", tier: "back" }, { team: "a" }, "api"),
    identity("shop", {}, { team: "a" }),
    identity("pay", { app: "api", version: "v2" }, { team: "b", pci: "yes" }, "api"),
    identity("kube-system", { "k8s-app": "kube-dns" }),
    identity("monitoring", { app: "prometheus" }, { purpose: "monitoring" }, "prometheus"),
    // A host endpoint: not namespaced, selected only by global selectors.
    endpointIdentity({ namespace: "", name: "node1-eth0", kind: "HostEndpoint", labels: { app: "api", role: "node" }, containerPorts: [] }, {}, "default", { host: true }),
];

const entities: EntityRule[] = [
    {}, { selector: "app == \"api\"" }, { selector: "app in {\"web\", \"api\"}" }, { selector: "has(app) && tier == \"back\"" },
    { selector: "app == \"web\" || k8s-app == \"kube-dns\"" }, { selector: "app != \"web\"" }, { selector: "!has(app)" }, { selector: "all()" },
    { notSelector: "app == \"web\"" }, { namespaceSelector: "projectcalico.org/name == \"kube-system\"" }, { namespaceSelector: "team == \"a\"" },
    { namespaceSelector: "all()", selector: "app == \"api\"" }, { namespaceSelector: "global()" }, { serviceAccounts: { names: ["api"] } },
    { selector: "projectcalico.org/namespace == \"pay\"" }, { selector: "projectcalico.org/serviceaccount == \"web\"" },
    { nets: ["10.0.0.0/8"] }, { notNets: ["10.0.0.0/8"] }, { services: { name: "kubernetes", namespace: "default" } },
    { serviceAccounts: { selector: "projectcalico.org/name == \"api\"" } }, { namespaceSelector: "global()", selector: "role == \"node\"" },
];

describe("index keys are necessary conditions (calico/peerKeys.ts)", () => {
    it("a selector's keys: on every libcalico-go match vector", () => {
        const vectors = JSON.parse(fs.readFileSync(path.resolve(projectRoot, "..", "shared", "conformance", "calico-selectors.json"), "utf8")) as { matches: { selector: string; match: Record<string, string>[] }[] };
        let keyed = 0;
        for (const { selector, match } of vectors.matches) {
            const keys = selectorKeys(parseSelector(selector), "calico");
            keyed += keys === undefined ? 0 : 1;
            for (const labels of match) {
                assert.ok(keys === undefined || keys.some((key) => Object.entries(labels).some(([k, v]) => key === `calico:${k}=${v}`)), `${selector} matches ${JSON.stringify(labels)} but keys ${keys}`);
            }
        }
        assert.ok(keyed >= 10, `the vectors exercise keyed selectors (${keyed})`);
    });

    it("a Calico rule side's keys, for global and namespaced policies: on every entity and endpoint", () => {
        for (const entity of entities) {
            for (const namespace of [undefined, "shop"]) {
                const compiled = compileEntity(entity, { ...(namespace === undefined ? {} : { namespace }), endpointAddresses: false });
                for (const endpoint of endpoints) {
                    if (compiled.matches({ kind: "pods", identity: endpoint })) {
                        assert.ok(shares(compiled.podKeys, endpoint), `${JSON.stringify(entity)} in ${namespace ?? "(global)"} matches ${endpoint.namespace}/${JSON.stringify(endpoint.labels)}, keys ${compiled.podKeys}`);
                    }
                }
            }
        }
    });

    it("a policy's selected keys, Calico and Kubernetes: on every selector and endpoint", () => {
        const policies: TierPolicy[] = entities.filter((e) => e.selector !== undefined || e.namespaceSelector !== undefined).flatMap((entity) => [
            parseCalicoPolicy({ apiVersion: "projectcalico.org/v3", kind: "GlobalNetworkPolicy", metadata: { name: "g" }, spec: { selector: entity.selector, namespaceSelector: entity.namespaceSelector, types: ["Ingress"] } }, tiersOf([]), false),
            parseCalicoPolicy({ apiVersion: "projectcalico.org/v3", kind: "NetworkPolicy", metadata: { name: "n", namespace: "shop" }, spec: { selector: entity.selector, types: ["Ingress"] } }, tiersOf([]), false),
        ]);
        for (const podSelector of [{}, { matchLabels: { app: "api" } }, { matchExpressions: [{ key: "app", operator: "In", values: ["web", "api"] }] }, { matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] }]) {
            policies.push(kubernetesTierPolicy(parseNetworkPolicy({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "k", namespace: "shop" }, spec: { podSelector } })));
        }
        for (const policy of policies) {
            for (const endpoint of endpoints) {
                if (policy.selects(endpoint)) {
                    assert.ok(shares(policy.selectedKeys, endpoint), `${policy.object} selects ${endpoint.namespace}/${JSON.stringify(endpoint.labels)}, keys ${policy.selectedKeys}`);
                }
            }
        }
    });

    it("a Kubernetes rule's peer keys: pod and namespace selectors, the policy's own namespace, ipBlocks", () => {
        const peers = [
            [{ podSelector: { matchLabels: { app: "api" } } }], [{ namespaceSelector: { matchLabels: { team: "b" } } }],
            [{ namespaceSelector: {}, podSelector: { matchLabels: { app: "web" } } }], [{ podSelector: {} }], [{ namespaceSelector: {} }],
            [{ ipBlock: { cidr: "10.0.0.0/8" } }], [{ podSelector: { matchLabels: { app: "web" } } }, { namespaceSelector: { matchLabels: { purpose: "monitoring" } } }],
        ];
        for (const from of peers) {
            const policy = kubernetesTierPolicy(parseNetworkPolicy({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "k", namespace: "shop" }, spec: { podSelector: {}, ingress: [{ from }] } }));
            const rule = policy.ingress![0];
            for (const endpoint of endpoints) {
                if (rule.matchesSource({ kind: "pods", identity: endpoint })) {
                    assert.ok(shares(rule.sourceKeys, endpoint), `from ${JSON.stringify(from)} admits ${endpoint.namespace}/${JSON.stringify(endpoint.labels)}, keys ${rule.sourceKeys}`);
                }
            }
        }
    });

    it("KeyIndex finds items sharing a key, and unkeyed items always, in their order", () => {
        const index = new KeyIndex(["a", "b", "c", "d"], (item) => ({ a: ["x"], b: undefined, c: ["y", "x"], d: [] } as Record<string, string[] | undefined>)[item]);
        assert.deepStrictEqual(index.lookup(["x"]), ["a", "b", "c"]);
        assert.deepStrictEqual(index.lookup(["y"]), ["b", "c"]);
        assert.deepStrictEqual(index.lookup([]), ["b"]);
    });
});
