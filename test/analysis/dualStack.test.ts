/**
 * Dual-stack clusters: Calico and Istio address matches of both IP families, and External
 * ranges of both families wherever a policy names IPv6 addresses. Each outcome is worked out
 * from the projects' documented semantics, cited per case.
 */
import * as assert from "assert";
import { flowExplainer, formatFlowExplanation } from "../../analysis/explain";
import { formatFlows } from "../../analysis/flowFormat";
import { parseManifests } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";
import { cluster, curl, into, l7Flows, pp, ratings, reviews } from "./istioFixture";

const shop = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
---
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
---
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
`;
const web = "shop/web[Pod]";
const api = "shop/api[Pod]";
const db = "shop/db[Pod]";
const flowsOf = (yaml: string) => formatFlows(reachability(parseManifests(shop + yaml, "cluster.yaml"))).split("\n").filter((line) => line !== "");
const from = (flows: string[], src: string) => flows.filter((line) => line.startsWith(`${src} => `));
const v6Tail = "ffff:ffff:ffff:ffff:ffff:ffff:ffff";

describe("Calico in a dual-stack cluster", () => {
    // docs.tigera.io/calico/latest/reference/resources/globalnetworkpolicy and networkpolicy#entityrule:
    // `nets` "match packets from IP in any of the listed CIDRs", IPv4 and IPv6 alike; rules apply
    // in order, the first match decides.
    it("a Deny of IPv6 nets denies those ranges before a later Allow, and a Kubernetes IPv6 ipBlock cuts the sources it admits", () => {
        const flows = flowsOf(`
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{ipBlock: {cidr: "2001:db8:1::/48"}}]
    ports: [{port: 5432}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: no-doc-net}
spec:
  selector: all()
  types: [Egress]
  egress:
  - {action: Deny, destination: {nets: ["2001:db8::/32"]}}
  - {action: Allow}
`);
        // Egress is cut at 2001:db8::/32, whose range no pod reaches; IPv4 stays one range.
        assert.deepStrictEqual(from(flows, web).filter((line) => line.includes("[External]")), [
            `${web} => 0.0.0.0-255.255.255.255[External] : All Connections`,
            `${web} => 2001:db9::-ffff:${v6Tail}[External] : All Connections`,
            `${web} => ::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff[External] : All Connections`,
        ]);
        // The Kubernetes policy (default tier, order 1000) admits only its IPv6 block, on 5432; pods are no ipBlock.
        assert.deepStrictEqual(into(flows, db), [`2001:db8:1::-2001:db8:1:ffff:ffff:ffff:ffff:ffff[External] => ${db} : TCP 5432`]);
    });

    // resources/networkpolicy#rule: `ipVersion` "Positive IP version match" (4 or 6): the rule
    // matches only packets of that family. Pods' own addresses are not in the manifests: traffic
    // between them is reported as IPv4.
    it("ipVersion 6 rules decide IPv6 traffic only, ipVersion 4 rules IPv4 only", () => {
        const flows = flowsOf(`
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: web-out}
spec:
  selector: app == "web"
  types: [Egress]
  egress:
  - {action: Allow, ipVersion: 6, destination: {nets: ["2001:db8::/32"]}}
  - {action: Deny, ipVersion: 6}
  - {action: Allow}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: db-out}
spec:
  selector: app == "db"
  types: [Egress]
  egress:
  - {action: Allow, ipVersion: 4}
`);
        assert.deepStrictEqual(from(flows, web), [
            `${web} => 0.0.0.0-255.255.255.255[External] : All Connections`,
            `${web} => 2001:db8::-2001:db8:${v6Tail.slice(5)}[External] : All Connections`,
            `${web} => ${api} : All Connections`,
            `${web} => ${db} : All Connections`,
        ]);
        // The IPv6 rule 1 is skipped for web -> db (IPv4): rule 2 denies UDP, rule 3 allows the rest.
        // db reaches IPv4 only: the IPv6 ranges are left to the end of the tier, which denies.
        assert.deepStrictEqual(from(flows, db), [
            `${db} => 0.0.0.0-255.255.255.255[External] : All Connections`,
            `${db} => ${api} : All Connections`,
            `${db} => ${web} : All Connections`,
        ]);
        const explain = flowExplainer(parseManifests(`${shop}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: web-out}
spec:
  selector: app == "web"
  types: [Egress]
  egress: [{action: Deny, ipVersion: 6}, {action: Deny, ipVersion: 4, protocol: UDP}, {action: Allow}]
`, "cluster.yaml"));
        assert.strictEqual(formatFlowExplanation(explain(web, db)),
            "egress of shop/web[Pod]: UDP 1-65535 denied by GlobalNetworkPolicy web-out rule 2, SCTP 1-65535,TCP 1-65535 allowed by GlobalNetworkPolicy web-out rule 3; "
            + "ingress of shop/db[Pod]: no policy selects it, so Profile kns.shop allows everything");
    });

    it("traffic of an endpoint whose known addresses are all IPv6 is IPv6", () => {
        const flows = flowsOf(`
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: node1-k8s-web-eth0, namespace: shop}
spec: {pod: web, ipNetworks: ["fd00:10::5/128"]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: db-in}
spec:
  selector: app == "db"
  types: [Ingress]
  ingress: [{action: Allow, ipVersion: 6}]
`);
        // api's addresses are unknown, so its traffic is IPv4, which the rule does not match.
        assert.deepStrictEqual(into(flows, db).filter((line) => !line.includes("[External]")), [`${web} => ${db} : All Connections`]);
    });

    // resources/workloadendpoint `ipNetworks`, resources/hostendpoint `expectedIPs`,
    // resources/globalnetworkset `nets`: addresses of either family, which rules' `nets` and
    // selectors match.
    it("nets match endpoints' IPv6 addresses and IPv6 External ranges; a GlobalNetworkSet names its IPv6 range", () => {
        const flows = flowsOf(`
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: node1-k8s-web-eth0, namespace: shop}
spec: {pod: web, ipNetworks: ["fd00:10::1:0:5/128"]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {role: node}}
spec: {node: node1, interfaceName: eth0, expectedIPs: ["fd00:20::1"], profiles: [projectcalico-default-allow]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: blocked6, labels: {list: blocked}}
spec: {nets: ["fd00:10::/96"]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: db-in, namespace: shop}
spec:
  selector: app == "db"
  types: [Ingress]
  ingress:
  - {action: Deny, source: {namespaceSelector: global(), selector: list == "blocked"}}
  - {action: Allow, protocol: TCP, source: {nets: ["fd00:10::/64", "fd00:20::/64"]}, destination: {ports: [5432]}}
`);
        // web's and the host's addresses lie in the Allow's nets, api's is unknown; the set's range is denied first.
        assert.deepStrictEqual(into(flows, db), [
            `fd00:10::1:0:0-fd00:10::ffff:ffff:ffff:ffff[External] => ${db} : TCP 5432`,
            `fd00:20::-fd00:20::ffff:ffff:ffff:ffff[External] => ${db} : TCP 5432`,
            `node1-eth0[HostEndpoint] => ${db} : TCP 5432`,
            `${web} => ${db} : TCP 5432`,
        ]);
        assert.ok(flows.includes(`${api} => fd00:10::-fd00:10::ffff:ffff[GlobalNetworkSet blocked6] : All Connections`));
    });

    it("refuses a net that is no address of either family, naming the policy and field", () => {
        assert.throws(() => flowsOf(`
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: bad}
spec: {selector: all(), ingress: [{action: Deny, source: {nets: ["2001:db8::/129"]}}]}
`), /GlobalNetworkPolicy bad \(projectcalico\.org\/v3\): ingress rule 1: nets: "2001:db8::\/129" is not an IP address or CIDR/);
    });
});

describe("Istio in a dual-stack cluster", () => {
    // istio.io/latest/docs/reference/config/security/authorization-policy/#Source: `ipBlocks`
    // "A list of IP blocks ... Single IP (e.g. 203.0.113.4) and CIDR (e.g. 203.0.113.0/24) are
    // supported"; IPv6 likewise. A block holds addresses of its own family only.
    it("an ALLOW from an IPv6 block admits that range only, and a DENY when source.ip is an IPv6 address denies it only", () => {
        const policies = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: doc-net, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: reviews}}
  rules: [{from: [{source: {ipBlocks: ["2001:db8::/48"]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-one, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: ratings}}
  action: DENY
  rules: [{when: [{key: source.ip, values: ["2001:db8::1"]}]}]
`;
        const flows = l7Flows(policies);
        // Layer 4 names no IPv6 block: the IPv6 space is listed because Istio's blocks cut it.
        // No IPv4 caller and no pod (address unknown) is in the IPv6 block.
        assert.deepStrictEqual(into(flows, reviews), [
            `2001:db8::-2001:db8::[External] => ${reviews} : TCP 9080 [all requests]`,
            `2001:db8::1-2001:db8::1[External] => ${reviews} : TCP 9080 [all requests]`,
            `2001:db8::2-2001:db8:0:ffff:ffff:ffff:ffff:ffff[External] => ${reviews} : TCP 9080 [all requests]`,
        ]);
        assert.deepStrictEqual(into(flows, ratings).filter((line) => line.includes("[External]")), [
            `0.0.0.0-255.255.255.255[External] => ${ratings} : TCP 9080 [all requests]`,
            `2001:db8:1::-ffff:${v6Tail}[External] => ${ratings} : TCP 9080 [all requests]`,
            `2001:db8::-2001:db8::[External] => ${ratings} : TCP 9080 [all requests]`,
            `2001:db8::2-2001:db8:0:ffff:ffff:ffff:ffff:ffff[External] => ${ratings} : TCP 9080 [all requests]`,
            `::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff[External] => ${ratings} : TCP 9080 [all requests]`,
        ]);
        assert.ok(flows.includes(`${pp} => ${ratings} : TCP 9080 [all requests]`));
        const explain = flowExplainer(parseManifests(`${cluster}\n---\n${policies}`, "cluster.yaml"));
        assert.strictEqual(formatFlowExplanation(explain("2001:db8::1-2001:db8::1[External]", reviews)), `sidecar of ${reviews}: ALLOW by AuthorizationPolicy bookinfo/doc-net`);
        assert.match(formatFlowExplanation(explain("2001:db8::1-2001:db8::1[External]", ratings)), /DENY by AuthorizationPolicy bookinfo\/deny-one$/);
    });

    it("a DENY from notIpBlocks of IPv6 denies every IPv4 caller and the IPv6 outside the block", () => {
        const flows = l7Flows(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: only-doc-net, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: reviews}}
  action: DENY
  rules: [{from: [{source: {notIpBlocks: ["2001:db8::/32"]}}]}]
`);
        // Pods' addresses are unknown and taken to lie outside every block, as for IPv4 blocks.
        assert.deepStrictEqual(into(flows, reviews), [`2001:db8::-2001:db8:${v6Tail.slice(5)}[External] => ${reviews} : TCP 9080 [all requests]`]);
        assert.ok(!flows.some((line) => line.startsWith(`${curl} => ${reviews}`)));
    });

    // istio.io/latest/docs/reference/config/networking/service-entry/#ServiceEntry `addresses`:
    // "The virtual IP addresses associated with the service. Could be CIDR prefix."
    it("REGISTRY_ONLY opens a ServiceEntry's IPv6 addresses on its ports", () => {
        const flows = l7Flows(`apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec: {selector: {app: reviews}, ports: [{port: 9080}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |-
    outboundTrafficPolicy:
      mode: REGISTRY_ONLY
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner, namespace: bookinfo}
spec: {hosts: [partner.example.com], addresses: ["2001:db8:5::/64"], ports: [{number: 443, name: https, protocol: TLS}]}
`);
        assert.deepStrictEqual(flows.filter((line) => line.startsWith(`${pp} => `) && line.includes(":") && line.split(" => ")[1].includes("[External]")), [
            `${pp} => 0.0.0.0-255.255.255.255[External] : SCTP 1-65535,UDP 1-65535`,
            `${pp} => 2001:db8:5:1::-ffff:${v6Tail}[External] : SCTP 1-65535,UDP 1-65535`,
            `${pp} => 2001:db8:5::-2001:db8:5:0:ffff:ffff:ffff:ffff[External] : SCTP 1-65535,TCP 443,UDP 1-65535`,
            `${pp} => ::-2001:db8:4:ffff:ffff:ffff:ffff:ffff[External] : SCTP 1-65535,UDP 1-65535`,
        ]);
    });
});
