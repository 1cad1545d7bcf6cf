import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { calicoConnectivity } from "../../analysis/calico";
import { flowExplainer, formatFlowExplanation } from "../../analysis/explain";
import { formatFlows } from "../../analysis/flowFormat";
import { loadManifests, parseManifests } from "../../analysis/manifests";
import { connectivity, formatConnections } from "../../analysis/netpol";
import { reachability } from "../../analysis/reach";
import { projectRoot } from "../harness/stackConfig";

const lines = (text: string) => text.split("\n").filter((line) => line !== "");
const flowsOf = (yaml: string) => lines(formatFlows(reachability(parseManifests(yaml, "cluster.yaml"))));

const shop = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: monitoring, labels: {purpose: monitoring}}
---
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
---
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
---
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
---
kind: Pod
metadata: {name: dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
---
kind: Pod
metadata: {name: prom, namespace: monitoring, labels: {app: prometheus}}
`;

/** Every pair of the five pods, both ways, with All Connections, except those listed. */
function allPairs(): string[] {
    const pods = ["kube-system/dns[Pod]", "monitoring/prom[Pod]", "shop/api[Pod]", "shop/db[Pod]", "shop/web[Pod]"];
    return pods.flatMap((src) => pods.filter((dst) => dst !== src).map((dst) => `${src} => ${dst}`));
}

describe("Calico policy evaluation", () => {
    it("default-deny GlobalNetworkPolicy with an allow-DNS egress rule (projectcalico.org/v3)", () => {
        const flows = flowsOf(`${shop}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: default-deny}
spec:
  selector: projectcalico.org/namespace != "kube-system"
  types: [Ingress, Egress]
  egress:
  - action: Allow
    protocol: UDP
    destination:
      selector: k8s-app == "kube-dns"
      namespaceSelector: projectcalico.org/name == "kube-system"
      ports: [53]
`);
        assert.deepStrictEqual(flows, [
            "0.0.0.0-255.255.255.255[External] => kube-system/dns[Pod] : All Connections",
            "kube-system/dns[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
            "monitoring/prom[Pod] => kube-system/dns[Pod] : UDP 53",
            "shop/api[Pod] => kube-system/dns[Pod] : UDP 53",
            "shop/db[Pod] => kube-system/dns[Pod] : UDP 53",
            "shop/web[Pod] => kube-system/dns[Pod] : UDP 53",
        ]);
    });

    const denyAndAllow = (denyOrder: number, allowOrder: number) => `${shop}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: no-web-to-db}
spec:
  order: ${denyOrder}
  selector: app == "db"
  ingress:
  - action: Deny
    protocol: TCP
    source: {selector: app == "web"}
    destination: {ports: [5432]}
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {name: default.db-from-shop, namespace: shop}
spec:
  order: ${allowOrder}
  selector: app == "db"
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: has(app)}
    destination: {ports: ["5432"]}
`;
    const intoDb = (flows: string[]) => flows.filter((line) => line.includes("=> shop/db[Pod]"));

    it("applies a Deny of lower order before an Allow (crd.projectcalico.org/v1 name with tier prefix)", () => {
        assert.deepStrictEqual(intoDb(flowsOf(denyAndAllow(10, 20))), ["shop/api[Pod] => shop/db[Pod] : TCP 5432"]);
    });

    it("lets the Allow win when it comes first; a namespaced selector only sees its own namespace", () => {
        // prom has an app label too, but lives in another namespace than the NetworkPolicy.
        assert.deepStrictEqual(intoDb(flowsOf(denyAndAllow(30, 20))), ["shop/api[Pod] => shop/db[Pod] : TCP 5432", "shop/web[Pod] => shop/db[Pod] : TCP 5432"]);
    });

    it("passes traffic out of the tier, past a Kubernetes default-deny (order 1000), and Log goes on", () => {
        const flows = flowsOf(`${shop}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: monitoring-passes}
spec:
  order: 100
  selector: projectcalico.org/namespace == "shop"
  ingress:
  - action: Log
  - action: Pass
    protocol: TCP
    source: {namespaceSelector: purpose == "monitoring"}
    destination: {ports: ["9000:9100"]}
`);
        assert.deepStrictEqual(flows.filter((line) => /=> shop\//.test(line)), [
            "monitoring/prom[Pod] => shop/api[Pod] : TCP 9000-9100",
            "monitoring/prom[Pod] => shop/db[Pod] : TCP 9000-9100",
            "monitoring/prom[Pod] => shop/web[Pod] : TCP 9000-9100",
        ]);
    });

    it("decides per port: a Deny on some ports, then an Allow of the rest; notPorts, notProtocol", () => {
        const flows = flowsOf(`${shop}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api-in, namespace: shop}
spec:
  order: 1
  selector: app == "api"
  ingress:
  - action: Deny
    protocol: TCP
    destination: {ports: [22, "8000:8999"]}
  - action: Allow
    protocol: TCP
    source: {namespaceSelector: team == "shop"}
    destination: {notPorts: [23]}
  - action: Allow
    notProtocol: TCP
    source: {selector: app == "prometheus", namespaceSelector: all()}
`);
        const tcp = "TCP 1-21,24-7999,9000-65535";
        assert.deepStrictEqual(flows.filter((line) => line.includes("=> shop/api[Pod]")), [
            "monitoring/prom[Pod] => shop/api[Pod] : SCTP 1-65535,UDP 1-65535",
            `shop/db[Pod] => shop/api[Pod] : ${tcp}`,
            `shop/web[Pod] => shop/api[Pod] : ${tcp}`,
        ]);
    });

    it("cuts External by nets and notNets of egress rules; nets never match pods", () => {
        const flows = flowsOf(`${shop}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: web-out}
spec:
  selector: app == "web"
  types: [Egress]
  egress:
  - action: Allow
    destination: {nets: [10.0.0.0/8], notNets: [10.1.0.0/16]}
`);
        assert.deepStrictEqual(flows.filter((line) => line.startsWith("shop/web[Pod]")), [
            "shop/web[Pod] => 10.0.0.0-10.0.255.255[External] : All Connections",
            "shop/web[Pod] => 10.2.0.0-10.255.255.255[External] : All Connections",
        ]);
    });

    it("defaults types to Egress for a policy with only egress rules, leaving ingress open", () => {
        const flows = flowsOf(`${shop}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: db-quiet, namespace: shop}
spec:
  selector: app == "db"
  egress:
  - action: Deny
`);
        assert.ok(!flows.some((line) => line.startsWith("shop/db[Pod]")));
        assert.ok(flows.includes("shop/web[Pod] => shop/db[Pod] : All Connections"));
        assert.strictEqual(flows.filter((line) => !line.includes("[External]")).length, allPairs().length - 4);
    });

    it("rejects a policy in a tier that no Tier object defines, naming the policy and the fix", () => {
        const policy = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: security.block}\nspec: {tier: security, selector: all()}\n";
        assert.throws(() => reachability(parseManifests(policy, "tier.yaml")), /GlobalNetworkPolicy security\.block .*tier "security": no Tier object of that name is given .*add the Tier/);
    });

    it("names the policy with a bad selector", () => {
        const policy = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: broken, namespace: shop}\nspec: {selector: 'app ==='}\n";
        assert.throws(() => reachability(parseManifests(policy, "bad.yaml")), /NetworkPolicy shop\/broken .*invalid Calico selector/);
    });

    it("keeps Kubernetes NetworkPolicy semantics when they run as Calico policies (np-guard's cases through the tiered engine)", () => {
        const casesRoot = path.resolve(projectRoot, "..", "shared", "conformance", "netpol");
        const cases = fs.readdirSync(casesRoot, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
        assert.ok(cases.length >= 30);
        for (const name of cases) {
            const objects = loadManifests(path.join(casesRoot, name, "input"));
            const expected = fs.readFileSync(path.join(casesRoot, name, "expected.txt"), "utf8");
            assert.ok(formatConnections(calicoConnectivity(objects)) === expected, `case ${name} differs`);
            assert.ok(formatFlows(reachability(objects)) === formatConnections(connectivity(objects)), `case ${name}: reachability differs from connectivity`);
        }
    });
});

describe("explaining a pair: the rule that decided each part of each direction", () => {
    const cluster = `${shop}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: default-deny}
spec: {namespaceSelector: projectcalico.org/name == "shop", types: [Ingress, Egress]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-out, namespace: shop}
spec:
  order: 10
  selector: app == "web"
  types: [Egress]
  egress:
  - {action: Deny, destination: {selector: app == "db"}}
  - {action: Allow, protocol: TCP, destination: {selector: 'app in {"api", "db"}', ports: [8080]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: shop}
spec: {podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}]}]}
`;
    let explain: ReturnType<typeof flowExplainer>;
    before(() => {
        explain = flowExplainer(parseManifests(cluster, "cluster.yaml"));
    });
    const text = (src: string, dst: string) => formatFlowExplanation(explain(src, dst));

    it("names the rule that decided each part, on both sides, and the end of the tier for the rest", () => {
        assert.strictEqual(text("shop/web[Pod]", "shop/api[Pod]"),
            "egress of shop/web[Pod]: TCP 8080 allowed by NetworkPolicy shop/web-out rule 2, the rest denied at the end of tier default; "
            + "ingress of shop/api[Pod]: TCP 8080 allowed by NetworkPolicy shop/api-in rule 1, the rest denied at the end of tier default");
    });

    it("names the Deny that comes first, even where a later rule would allow", () => {
        assert.strictEqual(text("shop/web[Pod]", "shop/db[Pod]"),
            "egress of shop/web[Pod]: everything denied by NetworkPolicy shop/web-out rule 1; ingress of shop/db[Pod]: everything denied at the end of tier default");
    });

    it("says when no policy selects a side, and knows no endpoint it was not given", () => {
        assert.strictEqual(text("monitoring/prom[Pod]", "kube-system/dns[Pod]"),
            "egress of monitoring/prom[Pod]: no policy selects it, so Profile kns.monitoring allows everything; ingress of kube-system/dns[Pod]: no policy selects it, so Profile kns.kube-system allows everything");
        assert.deepStrictEqual(explain("shop/nope[Pod]", "shop/api[Pod]"), {});
    });
});
