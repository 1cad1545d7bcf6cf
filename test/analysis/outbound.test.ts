import * as assert from "assert";
import { curl, external, into, l7Flows, pp, ratings, reviews } from "./istioFixture";

const services = ["productpage", "reviews", "ratings"].map((name) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: bookinfo}
spec: {selector: {app: ${name}}, ports: [{port: 9080}]}
`).join("");

const productpageSidecar = (extra = "") => `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: productpage, namespace: bookinfo}
spec:
  workloadSelector: {labels: {app: productpage}}
  egress: [{hosts: ["./reviews.bookinfo.svc.cluster.local", "istio-system/*"]}]
${extra}`;

const registryOnly = (extra = "") => `---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |-
    outboundTrafficPolicy:
      mode: REGISTRY_ONLY
${extra}`;

const fromProductpageOnly = (app: string) => `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${app}, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: ${app}}}
  rules: [{from: [{source: {principals: ["cluster.local/ns/bookinfo/sa/bookinfo-productpage"]}}]}]
`;

const from = (flows: string[], src: string) => flows.filter((line) => line.startsWith(`${src} => `));
const intoBookinfo = (lines: string[]) => lines.filter((line) => line.includes(" => bookinfo/"));

describe("Istio outbound: Sidecar, ServiceEntry, outboundTrafficPolicy", () => {
    it("a Sidecar's egress hosts: a Service it does not list is reached as plain TCP (ALLOW_ANY), so principal-based ALLOWs refuse it", () => {
        const flows = l7Flows(`${services}${productpageSidecar()}${fromProductpageOnly("reviews")}${fromProductpageOnly("ratings")}`);
        assert.deepStrictEqual(intoBookinfo(from(flows, pp)), [`${pp} => ${reviews} : TCP 9080 [all requests]`]);
        // Without the principal check, the plain-text call gets through, and says so.
        const open = l7Flows(`${services}${productpageSidecar()}`);
        assert.ok(open.includes(`${pp} => ${ratings} : TCP 9080 [all requests]\n  note: TCP 9080 leaves the caller's sidecar as plain TCP (no Service it knows leads there), so the destination sees no identity`), open.join("\n"));
        // Other workloads have no Sidecar: they call with their identity as before.
        assert.ok(open.includes(`${reviews} => ${ratings} : TCP 9080 [all requests]`));
    });

    it("REGISTRY_ONLY (MeshConfig in the istio ConfigMap, or the Sidecar's own): what the sidecar does not know is dropped", () => {
        const viaMesh = l7Flows(`${services}${productpageSidecar()}${registryOnly()}`);
        assert.deepStrictEqual(intoBookinfo(from(viaMesh, pp)), [`${pp} => ${reviews} : TCP 9080 [all requests]`]);
        const viaSidecar = l7Flows(`${services}${productpageSidecar("  outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n")}`);
        assert.deepStrictEqual(intoBookinfo(from(viaSidecar, pp)), [`${pp} => ${reviews} : TCP 9080 [all requests]`]);
        // A workload without a Sidecar sees every Service: under REGISTRY_ONLY, only a port no Service leads to is dropped.
        assert.ok(viaMesh.includes(`${reviews} => ${ratings} : TCP 9080 [all requests]`));
        // A port no Service leads to is dropped, also towards unmeshed workloads; UDP and SCTP are not intercepted.
        assert.ok(viaMesh.includes(`${pp} => ${curl} : SCTP 1-65535,UDP 1-65535`));
        // The unmeshed caller has no sidecar to restrict it.
        assert.ok(viaMesh.includes(`${curl} => ${external} : All Connections`));
    });

    it("REGISTRY_ONLY towards External: ServiceEntry addresses open their ports (External is cut there), DNS hosts give a note; UDP is not intercepted", () => {
        const flows = l7Flows(`${services}${registryOnly(`---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner, namespace: bookinfo}
spec: {hosts: [partner.example.com], addresses: [203.0.113.0/24], ports: [{number: 443, name: https, protocol: TLS}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: bookinfo}
spec: {hosts: [api.example.com], ports: [{number: 8443, name: https, protocol: TLS}], resolution: DNS}
`)}`);
        assert.deepStrictEqual(from(flows, pp).filter((line) => line.includes("[External]")), [
            `${pp} => 0.0.0.0-203.0.112.255[External] : SCTP 1-65535,TCP 8443,UDP 1-65535\n  note: REGISTRY_ONLY (MeshConfig): TCP 8443 only to ServiceEntry hosts api.example.com`,
            `${pp} => 203.0.113.0-203.0.113.255[External] : SCTP 1-65535,TCP 443,8443,UDP 1-65535\n  note: REGISTRY_ONLY (MeshConfig): TCP 8443 only to ServiceEntry hosts api.example.com`,
            `${pp} => 203.0.114.0-255.255.255.255[External] : SCTP 1-65535,TCP 8443,UDP 1-65535\n  note: REGISTRY_ONLY (MeshConfig): TCP 8443 only to ServiceEntry hosts api.example.com`,
        ]);
    });

    it("MeshConfig rootNamespace decides where policies apply mesh-wide", () => {
        const denyAll = "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-all, namespace: mesh-root}\nspec: {action: DENY, rules: [{}]}\n";
        assert.strictEqual(into(l7Flows(denyAll), reviews).length, 4, "mesh-root is not the root namespace by default");
        const rooted = l7Flows(`${denyAll}---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data: {mesh: "rootNamespace: mesh-root"}
`);
        assert.deepStrictEqual(into(rooted, reviews), []);
    });

    it("refuses a MeshConfig or Sidecar it cannot read, naming the object", () => {
        assert.throws(() => l7Flows(`${services}${registryOnly().replace("REGISTRY_ONLY", "DENY_ALL")}`), /ConfigMap istio-system\/istio: data\.mesh: outboundTrafficPolicy\.mode "DENY_ALL" is not ALLOW_ANY or REGISTRY_ONLY/);
        assert.throws(() => l7Flows(`${services}${productpageSidecar().replace("./reviews.bookinfo.svc.cluster.local", "reviews")}`), /Sidecar bookinfo\/productpage: egress\[0\]\.hosts: "reviews" is not namespace\/dnsName/);
    });
});
