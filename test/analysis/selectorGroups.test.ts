/**
 * Both engines evaluate endpoints in groups that no selector can tell apart: endpoints that
 * agree on the labels some selector reads (calicoSelector.ts labelsRead), whatever their other
 * labels. Grouping on fewer labels is only sound if every way a selector can read a label is
 * counted, so each way gets a case where merging on it would give a wrong answer.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { labelsRead, parseSelector, selectorMatches } from "../../analysis/calicoSelector";
import { tierInputs } from "../../analysis/calico";
import { tieredPeers } from "../../analysis/calico/peers";
import { formatFlows } from "../../analysis/flowFormat";
import { parseManifests } from "../../analysis/manifests";
import { connectivity, formatConnections } from "../../analysis/netpol";
import { reachability } from "../../analysis/reach";
import { projectRoot } from "../harness/stackConfig";

interface SelectorVectors {
    matches: { selector: string; match: Record<string, string>[]; noMatch: Record<string, string>[] }[];
}

const vectors: SelectorVectors = JSON.parse(fs.readFileSync(path.resolve(projectRoot, "..", "shared", "conformance", "calico-selectors.json"), "utf8"));

/** A stable and a canary version of web (told apart only by `version`), and api. */
const shop = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
kind: Pod
metadata: {name: web-stable, namespace: shop, labels: {app: web, version: stable}}
---
kind: Pod
metadata: {name: web-canary, namespace: shop, labels: {app: web, version: canary}}
---
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
`;

/** Selects nothing, but makes the Calico engine evaluate the cluster. */
const calicoPresent = `
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: inert}
spec: {selector: app == "none", types: [Ingress]}
`;

const apiDefaultDeny = `
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api-deny, namespace: shop}
spec: {order: 2000, selector: app == "api", types: [Ingress], ingress: [{action: Deny}]}
`;

const objectsOf = (yaml: string) => parseManifests(shop + yaml, "cluster.yaml");
const callersOfApi = (flows: string) => flows.split("\n").filter((line) => /^shop\/web-\w+\[Pod\] => shop\/api\[Pod\]/.test(line)).map((line) => line.split(" ")[0]);
const canaryOnly = ["shop/web-canary[Pod]"];

/** The group of each workload under the Calico engine, by name. */
function groupsOf(yaml: string): Map<string, unknown> {
    const { sources } = tieredPeers(tierInputs(objectsOf(yaml)));
    return new Map(sources.flatMap((peer) => (peer.kind === "pods" ? [[peer.endpoint.name, peer.group]] : [])));
}

describe("endpoints grouped by the labels selectors read", () => {
    it("a selector reads the labels it names and no others: on every libcalico-go vector, changing the others changes no outcome", () => {
        let checked = 0;
        for (const { selector, match, noMatch } of vectors.matches) {
            const read = new Set(labelsRead(parseSelector(selector)));
            for (const labels of [...match, ...noMatch]) {
                const expected = selectorMatches(selector, labels);
                const keep = Object.fromEntries(Object.entries(labels).filter(([key]) => read.has(key)));
                const others = ["a", "b", "c", "d", "e", "foo", "version"].filter((key) => !read.has(key));
                const variants = [keep, { ...labels, ...Object.fromEntries(others.map((key) => [key, "x"])) }, { ...keep, ...Object.fromEntries(others.map((key) => [key, "bar"])) }];
                for (const variant of variants) {
                    assert.strictEqual(selectorMatches(selector, variant), expected, `${selector} on ${JSON.stringify(variant)} (read: ${[...read]})`);
                    checked++;
                }
            }
        }
        assert.ok(checked > 250, `checked ${checked} variants`);
    });

    it("names every label of every term", () => {
        assert.deepStrictEqual(labelsRead(parseSelector(`a == "x" && !(has(b) || c in {"1"}) && d starts with "p" && e not in {} && all()`)), ["a", "b", "c", "d", "e"]);
        assert.deepStrictEqual(labelsRead(parseSelector("global()")), []);
    });

    it("one group for the stable and canary versions when no selector reads version; each its own when one does", () => {
        const apiFrom = (source: string) => groupsOf(`${calicoPresent}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api-ingress, namespace: shop}
spec: {selector: app == "api", ingress: [{action: Allow, source: {selector: ${source}}}]}
`);
        const unread = apiFrom(`app == "web"`);
        assert.strictEqual(unread.get("shop/web-stable[Pod]"), unread.get("shop/web-canary[Pod]"));
        assert.notStrictEqual(unread.get("shop/web-stable[Pod]"), unread.get("shop/api[Pod]"));
        const read = apiFrom(`version == "canary"`);
        assert.notStrictEqual(read.get("shop/web-stable[Pod]"), read.get("shop/web-canary[Pod]"));
    });

    const kubernetesPeer = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-canary, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web, version: canary}}}]}]
`;

    it("a Kubernetes rule's peer podSelector, in both engines", () => {
        assert.deepStrictEqual(callersOfApi(formatConnections(connectivity(objectsOf(kubernetesPeer)))), canaryOnly);
        assert.deepStrictEqual(callersOfApi(formatFlows(reachability(objectsOf(kubernetesPeer + calicoPresent)))), canaryOnly);
    });

    it("a Kubernetes policy's podSelector, in both engines", () => {
        // Stable's egress is shut: only canary may call api.
        const stableShut = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: stable-shut, namespace: shop}
spec: {podSelector: {matchExpressions: [{key: version, operator: In, values: [stable]}]}, policyTypes: [Egress]}
`;
        assert.deepStrictEqual(callersOfApi(formatConnections(connectivity(objectsOf(stableShut)))), canaryOnly);
        assert.deepStrictEqual(callersOfApi(formatFlows(reachability(objectsOf(stableShut + calicoPresent)))), canaryOnly);
    });

    it("a Calico policy's selector", () => {
        const flows = formatFlows(reachability(objectsOf(`
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: stable-shut, namespace: shop}
spec: {selector: version == "stable", types: [Egress]}
`)));
        assert.deepStrictEqual(callersOfApi(flows), canaryOnly);
    });

    it("a Calico rule's source selector and notSelector", () => {
        const allowFrom = (source: string) => formatFlows(reachability(objectsOf(`${apiDefaultDeny}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api-allow, namespace: shop}
spec: {order: 100, selector: app == "api", types: [Ingress], ingress: [{action: Allow, source: ${source}}]}
`)));
        assert.deepStrictEqual(callersOfApi(allowFrom(`{selector: version == "canary"}`)), canaryOnly);
        assert.deepStrictEqual(callersOfApi(allowFrom(`{selector: app == "web", notSelector: version == "stable"}`)), canaryOnly);
    });

    it("a Profile's rule", () => {
        // Each web pod's WorkloadEndpoint names the profile, whose egress admits only canary.
        const endpoint = (pod: string) => `
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: node1-k8s-${pod}-eth0, namespace: shop}
spec: {pod: ${pod}, profiles: [canary-out]}
`;
        const flows = formatFlows(reachability(objectsOf(`${endpoint("web-stable")}${endpoint("web-canary")}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: canary-out}
spec:
  egress: [{action: Allow, source: {selector: version == "canary"}}]
`)));
        assert.deepStrictEqual(callersOfApi(flows), canaryOnly);
    });
});
