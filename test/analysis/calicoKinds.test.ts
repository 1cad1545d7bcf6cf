/**
 * Calico kinds and fields beyond policies in the default tier, each with an outcome worked out
 * from Calico's documented semantics (docs.tigera.io/calico/latest/reference/resources/...,
 * cited per case).
 */
import * as assert from "assert";
import { flowExplainer, formatFlowExplanation } from "../../analysis/explain";
import { flowsToJson, formatFlows } from "../../analysis/flowFormat";
import { parseManifests } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";

const lines = (text: string) => text.split("\n").filter((line) => line !== "");
const flowsOf = (yaml: string) => lines(formatFlows(reachability(parseManifests(cluster + yaml, "cluster.yaml"))));
const into = (flows: string[], dst: string) => flows.filter((line) => line.includes(`=> ${dst} :`));

const cluster = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: monitoring, labels: {purpose: monitoring}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api-sa, namespace: shop, labels: {tier: backend}}
---
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {serviceAccountName: web-sa}
---
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {serviceAccountName: api-sa}
---
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
---
kind: Pod
metadata: {name: prom, namespace: monitoring, labels: {app: prometheus}}
`;

describe("Calico tiers (resources/tier: tiers in order, Pass to the next tier, the tier's defaultAction)", () => {
    const tiered = `
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: platform}
spec: {order: 50, defaultAction: Pass}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: platform.no-monitoring}
spec:
  tier: platform
  selector: projectcalico.org/namespace == "shop"
  ingress:
  - {action: Deny, source: {namespaceSelector: purpose == "monitoring"}}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.guard}
spec:
  tier: security
  selector: projectcalico.org/namespace == "shop"
  ingress:
  - {action: Deny, source: {selector: app == "web"}, destination: {selector: app == "db"}}
  - {action: Pass}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-web, namespace: shop}
spec: {podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}]}]}
`;

    it("runs platform (Pass by default), then security (Deny, then Pass), then default (Kubernetes policy), then the profile", () => {
        const flows = flowsOf(tiered).filter((line) => line.includes("=> shop/"));
        // monitoring is denied in platform; what platform leaves passes on. security denies web -> db and
        // passes the rest; the default tier selects only api (the Kubernetes policy); db and web have
        // no policy there, so their profile kns.shop allows what was passed.
        assert.deepStrictEqual(flows, [
            "0.0.0.0-255.255.255.255[External] => shop/db[Pod] : All Connections",
            "0.0.0.0-255.255.255.255[External] => shop/web[Pod] : All Connections",
            "shop/api[Pod] => shop/db[Pod] : All Connections",
            "shop/api[Pod] => shop/web[Pod] : All Connections",
            "shop/db[Pod] => shop/web[Pod] : All Connections",
            "shop/web[Pod] => shop/api[Pod] : TCP 8080",
        ]);
    });

    it("explains each part by rule and tier", () => {
        const explain = flowExplainer(parseManifests(cluster + tiered, "cluster.yaml"));
        assert.strictEqual(formatFlowExplanation(explain("shop/web[Pod]", "shop/api[Pod]")),
            "egress of shop/web[Pod]: no policy selects it, so Profile kns.shop allows everything; "
            + "ingress of shop/api[Pod]: everything passed to the next tier at the end of tier platform, "
            + "everything passed to the next tier by GlobalNetworkPolicy security.guard rule 2 in tier security, "
            + "TCP 8080 allowed by NetworkPolicy shop/api-from-web rule 1, the rest denied at the end of tier default");
        assert.match(formatFlowExplanation(explain("monitoring/prom[Pod]", "shop/db[Pod]")),
            /ingress of shop\/db\[Pod\]: everything denied by GlobalNetworkPolicy platform\.no-monitoring rule 1 in tier platform$/);
    });

    it("refuses a built-in tier with another order or action", () => {
        const tier = "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: default}\nspec: {order: 5, defaultAction: Pass}\n";
        assert.throws(() => reachability(parseManifests(tier, "tier.yaml")), /Tier default: spec: Calico fixes the built-in tier default at order 1000000, defaultAction Deny/);
    });
});

describe("Calico profiles and WorkloadEndpoints (resources/profile, resources/workloadendpoint)", () => {
    const profiled = `
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: node1-k8s-api-eth0, namespace: shop}
spec: {pod: api, profiles: [restricted]}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: restricted}
spec:
  labelsToApply: {zone: dmz}
  ingress:
  - {action: Allow, protocol: TCP, source: {selector: app == "web"}, destination: {ports: [443]}}
  egress:
  - {action: Allow}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: dmz-out}
spec:
  selector: zone == "dmz"
  types: [Egress]
  egress:
  - {action: Allow, destination: {selector: app == "db"}}
`;

    it("a pod's WorkloadEndpoint names its profiles: their rules decide after the tiers, and their labels are selectable", () => {
        const flows = flowsOf(profiled);
        // No policy selects api's ingress: the profile's first matching rule decides, and what none matches is dropped.
        assert.deepStrictEqual(into(flows, "shop/api[Pod]"), ["shop/web[Pod] => shop/api[Pod] : TCP 443"]);
        // dmz-out selects api through the profile's label; the default tier denies the rest.
        assert.deepStrictEqual(flows.filter((line) => line.startsWith("shop/api[Pod]")), ["shop/api[Pod] => shop/db[Pod] : All Connections"]);
    });

    it("explains what a profile decided", () => {
        const explain = flowExplainer(parseManifests(cluster + profiled, "cluster.yaml"));
        assert.strictEqual(formatFlowExplanation(explain("shop/web[Pod]", "shop/api[Pod]")),
            "egress of shop/web[Pod]: no policy selects it, so Profile kns.shop allows everything; "
            + "ingress of shop/api[Pod]: TCP 443 allowed by Profile restricted rule 1, the rest denied, as no rule of Profile restricted allows it");
    });

    it("refuses an endpoint naming a profile that is not given", () => {
        const wep = "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: w, namespace: shop}\nspec: {pod: api, profiles: [nope]}\n";
        assert.throws(() => reachability(parseManifests(cluster + "---\n" + wep, "wep.yaml")), /WorkloadEndpoint shop\/w: profiles: no Profile "nope" is given/);
    });
});

describe("Calico HostEndpoints (resources/hostendpoint; Felix failsafe ports)", () => {
    const hosts = `
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {role: node}}
spec: {node: node1, interfaceName: eth0, expectedIPs: [10.0.0.5]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: kubelet}
spec:
  selector: role == "node"
  types: [Ingress]
  ingress:
  - {action: Allow, protocol: TCP, destination: {ports: [10250]}}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-out, namespace: shop}
spec:
  selector: app == "web"
  types: [Egress]
  egress:
  - {action: Allow, destination: {nets: [10.0.0.0/24]}}
`;
    const hostIngress = "TCP 22,179,2379-2380,5473,6443,6666-6667,10250,UDP 68";

    it("is a peer named name[HostEndpoint]: failsafe ports plus what policy allows, nets match its expectedIPs, no profile: the rest dropped", () => {
        const flows = flowsOf(hosts);
        assert.deepStrictEqual(flows.filter((line) => line.startsWith("shop/web[Pod]")), [
            "shop/web[Pod] => 10.0.0.0-10.0.0.255[External] : All Connections",
            `shop/web[Pod] => node1-eth0[HostEndpoint] : ${hostIngress}`,
        ]);
        assert.ok(flows.includes(`monitoring/prom[Pod] => node1-eth0[HostEndpoint] : ${hostIngress}`));
        // Its egress: no policy applies and it has no profile, so only the outbound failsafe ports.
        assert.ok(flows.includes("node1-eth0[HostEndpoint] => monitoring/prom[Pod] : TCP 179,2379-2380,5473,6443,6666-6667,UDP 53,67"));
    });

    it("explains a host endpoint's side: failsafe ports, the policy's rule, and no profile for the rest", () => {
        const explain = flowExplainer(parseManifests(cluster + hosts, "cluster.yaml"));
        assert.strictEqual(formatFlowExplanation(explain("shop/web[Pod]", "node1-eth0[HostEndpoint]")),
            "egress of shop/web[Pod]: everything allowed by NetworkPolicy shop/web-out rule 1; "
            + "ingress of node1-eth0[HostEndpoint]: TCP 22,179,2379-2380,5473,6443,6666-6667,UDP 68 allowed by Felix's failsafe ports, "
            + "TCP 10250 allowed by GlobalNetworkPolicy kubelet rule 1, the rest denied at the end of tier default");
    });
});

describe("Calico NetworkSets and GlobalNetworkSets (resources/networkset, resources/globalnetworkset)", () => {
    const sets = `
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: partners, namespace: shop, labels: {role: partner}}
spec: {nets: [198.51.100.0/24]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: blocked, labels: {list: blocked}}
spec: {nets: [198.51.100.128/25, 203.0.113.0/24]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api-in, namespace: shop}
spec:
  selector: app == "api"
  ingress:
  - {action: Deny, source: {namespaceSelector: global(), selector: list == "blocked"}}
  - {action: Allow, protocol: TCP, source: {selector: role == "partner"}, destination: {ports: [443]}}
`;

    it("selects the sets' addresses by label, and names their External ranges by the sets", () => {
        const flows = flowsOf(sets);
        // Half of partners is also in blocked, which the Deny takes first.
        assert.deepStrictEqual(into(flows, "shop/api[Pod]"), ["198.51.100.0-198.51.100.127[NetworkSet shop/partners] => shop/api[Pod] : TCP 443"]);
        assert.ok(flows.includes("shop/web[Pod] => 198.51.100.128-198.51.100.255[NetworkSet shop/partners, GlobalNetworkSet blocked] : All Connections"));
        assert.ok(flows.includes("shop/web[Pod] => 203.0.113.0-203.0.113.255[GlobalNetworkSet blocked] : All Connections"));
    });
});

describe("Calico service account selectors (resources/networkpolicy: serviceAccountSelector, serviceAccounts)", () => {
    it("selects endpoints by their service account's name and labels", () => {
        const flows = flowsOf(`
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: backend-in}
spec:
  serviceAccountSelector: tier == "backend"
  ingress:
  - {action: Allow, source: {serviceAccounts: {names: [web-sa]}}}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: db-in}
spec:
  selector: app == "db"
  ingress:
  - {action: Allow, source: {serviceAccounts: {selector: tier == "backend"}}}
`);
        assert.deepStrictEqual(into(flows, "shop/api[Pod]"), ["shop/web[Pod] => shop/api[Pod] : All Connections"]);
        assert.deepStrictEqual(into(flows, "shop/db[Pod]"), ["shop/api[Pod] => shop/db[Pod] : All Connections"]);
    });
});

const dbIngress = (rules: string) => `
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: db-in, namespace: shop}
spec:
  selector: app == "db"
  ingress:
${rules}`;

describe("Calico ICMP, source ports and http matches (resources/networkpolicy: Rule, ICMP, HTTPMatch)", () => {
    it("an ICMP rule allows no TCP, UDP or SCTP; notProtocol ICMP allows all three", () => {
        assert.deepStrictEqual(into(flowsOf(dbIngress("  - {action: Allow, protocol: ICMP, icmp: {type: 8, code: 0}}")), "shop/db[Pod]"), []);
        assert.strictEqual(into(flowsOf(dbIngress("  - {action: Allow, notProtocol: ICMP, source: {selector: app == \"web\"}}")), "shop/db[Pod]")[0],
            "shop/web[Pod] => shop/db[Pod] : All Connections");
    });

    it("refuses icmp without protocol ICMP, naming the policy and rule", () => {
        assert.throws(() => flowsOf(dbIngress("  - {action: Allow, protocol: TCP, icmp: {type: 8}}")), /NetworkPolicy shop\/db-in .*ingress rule 1: icmp needs protocol ICMP or ICMPv6/);
        assert.throws(() => flowsOf(dbIngress("  - {action: Allow, protocol: ICMP, icmp: {code: 3}}")), /icmp: an ICMP code needs an ICMP type/);
    });

    it("lists a flow only where every source port is admitted", () => {
        const flows = into(flowsOf(dbIngress(`  - {action: Allow, protocol: TCP, source: {selector: app == "web", ports: ["1024:65535"]}}
  - {action: Allow, protocol: TCP, source: {selector: app == "api", ports: ["1:65535"]}, destination: {ports: [5432]}}
  - {action: Deny, protocol: UDP, source: {ports: [53]}}
  - {action: Allow, source: {selector: app == "prometheus", namespaceSelector: all()}}`)), "shop/db[Pod]");
        // web: some source ports only, not listed; api: every source port; prom: UDP from port 53 is denied, so UDP is not listed.
        assert.deepStrictEqual(flows, ["monitoring/prom[Pod] => shop/db[Pod] : SCTP 1-65535,TCP 1-65535", "shop/api[Pod] => shop/db[Pod] : TCP 5432"]);
    });

    it("notes the source-port rule on the flow it narrowed", () => {
        const text = lines(formatFlows(reachability(parseManifests(cluster + dbIngress(`  - {action: Deny, protocol: UDP, source: {ports: [53]}}
  - {action: Allow, source: {selector: app == "web"}}`), "cluster.yaml"))));
        const web = text.indexOf("shop/web[Pod] => shop/db[Pod] : SCTP 1-65535,TCP 1-65535");
        assert.ok(web >= 0, text.join("\n"));
        assert.strictEqual(text[web + 1], "  note: UDP 1-65535: denied from some source ports only (NetworkPolicy shop/db-in ingress rule 1); listed as denied, as a client's source port is not known ahead");
    });

    it("carries an http match as a note on the flow, in text and JSON, never as a plain allow", () => {
        const yaml = cluster + dbIngress(`  - {action: Allow, protocol: TCP, source: {selector: app == "web"}, destination: {ports: [8080]}, http: {methods: [GET], paths: [{prefix: /api}]}}
  - {action: Deny, protocol: TCP, source: {selector: app == "api"}, http: {paths: [{exact: /admin}]}}
  - {action: Allow, protocol: TCP, source: {selector: app == "api"}}`);
        const flows = reachability(parseManifests(yaml, "cluster.yaml"));
        const text = lines(formatFlows(flows));
        const web = text.indexOf("shop/web[Pod] => shop/db[Pod] : TCP 8080");
        assert.ok(web >= 0, text.join("\n"));
        assert.strictEqual(text[web + 1], "  note: TCP 8080: only HTTP requests GET /api* (NetworkPolicy shop/db-in ingress rule 1; Calico enforces it in the application layer)");
        const api = flowsToJson(flows).flows.find((flow) => flow.src === "shop/api[Pod]" && flow.dst === "shop/db[Pod]");
        assert.deepStrictEqual(api, {
            src: "shop/api[Pod]", dst: "shop/db[Pod]", connections: "TCP 1-65535",
            notes: ["TCP 1-65535: except HTTP requests * /admin (NetworkPolicy shop/db-in ingress rule 2; Calico enforces it in the application layer)"],
        });
    });
});
