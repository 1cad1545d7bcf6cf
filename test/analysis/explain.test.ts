import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { explainText } from "../../analysis/explanation/explainList";
import { KubeObject, loadManifests, parseManifests } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";
import { parseEnvironment } from "../../stacks/config";
import { stackObjects } from "../../stacks/offline";
import { conformanceFolder } from "../conformance/conformanceText";
import { kubeconfigIsSecret, stackConfig } from "../harness/stackConfig";
import { runCli } from "./cliRun";

/** The block of one pair in an explain text, from its `Connections between` line to the next block. */
function pairBlock(text: string, src: string, dst: string): string {
    const start = text.indexOf(`Connections between ${src} => ${dst}:\n`);
    assert.ok(start >= 0, `no block for ${src} => ${dst} in:\n${text}`);
    const end = text.indexOf("-".repeat(160), start);
    return text.slice(start, end < 0 ? undefined : end);
}

const explained = (objects: KubeObject[], options: Parameters<typeof explainText>[2] = {}) => [...explainText(objects, reachability(objects), options, () => undefined)].join("");

const twoPolicies = `
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: default}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: default}
spec:
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-in-namespace, namespace: default}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-netpol, namespace: default}
spec:
  podSelector: {matchLabels: {app: frontend}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: backend}}}]
    ports: [{port: 8080}]
`;

describe("--explain on Kubernetes NetworkPolicy input (netpol-analyzer's text)", () => {
    const objects = parseManifests(twoPolicies, "policies.yaml");

    it("lists every policy that denies a direction, by name, after `NetworkPolicy list:`, and only the policy that allows", () => {
        assert.strictEqual(pairBlock(explained(objects), "default/backend[Deployment]", "default/frontend[Deployment]"), [
            "Connections between default/backend[Deployment] => default/frontend[Deployment]:",
            "",
            "Allowed connections:",
            "\tAllowed TCP:[8080] due to the following policies and rules:",
            "\t\tEgress (Allowed) due to the system default (Allow all)",
            "\t\tIngress (Allowed)",
            "\t\t\tNetworkPolicy 'default/frontend-netpol' allows connections by Ingress rule #1",
            "",
            "Denied connections:",
            "\tDenied TCP:[1-8079,8081-65535], UDP, SCTP due to the following policies and rules:",
            "\t\tEgress (Allowed) due to the system default (Allow all)",
            "\t\tIngress (Denied)",
            "\t\t\tNetworkPolicy list:",
            "\t\t\t\t- NetworkPolicy 'default/default-deny-in-namespace' selects default/frontend[Deployment], but default/backend[Deployment] is not allowed by any Ingress rule (no rules defined)",
            "\t\t\t\t- NetworkPolicy 'default/frontend-netpol' selects default/frontend[Deployment], and Ingress rule #1 selects default/backend[Deployment], but the protocols and ports do not match",
            // The list ends with an empty line, and so does each connection set's entry (as netpol-analyzer prints it).
            "",
            "",
            "",
        ].join("\n"));
    });

    it("lists a pair's sets of connections in the order of their spelling, each with its own reasons", () => {
        const egressDenied = parseManifests(`${twoPolicies}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend-netpol, namespace: default}
spec: {podSelector: {matchLabels: {app: backend}}, policyTypes: [Egress]}
`, "policies.yaml");
        const block = pairBlock(explained(egressDenied), "default/backend[Deployment]", "default/frontend[Deployment]");
        assert.doesNotMatch(block, /Allowed connections/);
        const rest = block.indexOf("\tDenied TCP:[1-8079,8081-65535], UDP, SCTP due to");
        const http = block.indexOf("\tDenied TCP:[8080] due to");
        assert.ok(rest > 0 && http > rest, block);
        assert.match(block.slice(http), /^\tDenied TCP:\[8080\] due to the following policies and rules:\n\t\tEgress \(Denied\)\n\t\t\tNetworkPolicy 'default\/backend-netpol' selects default\/backend\[Deployment\], but default\/frontend\[Deployment\] is not allowed by any Egress rule \(no rules defined\)\n\t\tIngress \(Allowed\)\n\t\t\tNetworkPolicy 'default\/frontend-netpol' allows connections by Ingress rule #1\n\n$/);
    });

    it("--explain-only allow keeps the allowed connections and the system default's pairs; deny the denied ones", () => {
        const allow = explained(objects, { only: "allow" });
        assert.doesNotMatch(allow, /Denied/);
        assert.match(pairBlock(allow, "default/backend[Deployment]", "default/frontend[Deployment]"), /Allowed TCP:\[8080\]/);
        assert.match(allow, /# All Connections due to the system default \(Allow all\) #\n#+\ndefault\/backend\[Deployment\] => 0\.0\.0\.0-255\.255\.255\.255\[External\]\n/);
        const deny = explained(objects, { only: "deny" });
        assert.doesNotMatch(deny, /Allowed connections|system default \(Allow all\) #/);
        assert.match(pairBlock(deny, "default/frontend[Deployment]", "default/backend[Deployment]"), /Denied TCP, UDP, SCTP/);
    });

    it("is bad usage with another format than txt, and with --focus-conn", async () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "explain-"));
        try {
            fs.writeFileSync(path.join(folder, "policies.yaml"), twoPolicies);
            const json = await runCli(["reach", folder, "--explain", "-o", "json"]);
            assert.strictEqual(json.code, 2);
            assert.match(json.stderr, /--explain is written in -o txt/);
            const conn = await runCli(["list", "--dirpath", folder, "--explain", "--focus-conn", "tcp-8080"]);
            assert.strictEqual(conn.code, 2);
            assert.match(conn.stderr, /--explain: --focus-conn lists pairs on one connection/);
            const plain = await runCli(["reach", folder]);
            assert.doesNotMatch(plain.stdout, /Specific connections/);
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });
});

describe("--explain across the layers: Calico tiers, Kubernetes policy and Istio", () => {
    it("dev stack: a declared flow names the MeshService's NetworkPolicy and AuthorizationPolicy; an undeclared one the default-deny of each layer", async () => {
        const objects = await stackObjects(parseEnvironment(stackConfig("dev"), kubeconfigIsSecret), "dev");
        const text = explained(objects, { focus: { focusworkload: ["bookinfo/ratings-v1"], focusDirection: "ingress" } });
        assert.strictEqual(pairBlock(text, "bookinfo/reviews-v1[Deployment]", "bookinfo/ratings-v1[Deployment]").split("\n").slice(0, 3).join("\n"),
            "Connections between bookinfo/reviews-v1[Deployment] => bookinfo/ratings-v1[Deployment]:\n\nAllowed connections: TCP 9080");
        const declared = pairBlock(text, "bookinfo/reviews-v1[Deployment]", "bookinfo/ratings-v1[Deployment]");
        assert.match(declared, /\n\tLayer 3\/4: ingress of bookinfo\/ratings-v1\[Deployment\]: TCP 9080 allowed by NetworkPolicy bookinfo\/ratings rule 1, the rest denied at the end of tier default/);
        assert.match(declared, /\n\tLayer 7: sidecar of bookinfo\/ratings-v1\[Deployment\]: ALLOW by AuthorizationPolicy bookinfo\/ratings\n/);
        const undeclared = pairBlock(text, "bookinfo/details-v1[Deployment]", "bookinfo/ratings-v1[Deployment]");
        assert.match(undeclared, /^Connections between .*:\n\nDenied connections: All Connections\n/);
        assert.match(undeclared, /\n\tLayer 3\/4: ingress of bookinfo\/ratings-v1\[Deployment\]: everything denied at the end of tier default \(selected by NetworkPolicy bookinfo\/default-deny, NetworkPolicy bookinfo\/ratings, GlobalNetworkPolicy default\.ztmesh-default-deny\)\n/);
        assert.match(undeclared, /\n\tLayer 7: sidecar of bookinfo\/ratings-v1\[Deployment\]: no rule of AuthorizationPolicy bookinfo\/ratings, AuthorizationPolicy bookinfo\/allow-nothing admits bookinfo\/details-v1\[Deployment\]\n/);
        // From outside, the sidecar's STRICT mTLS refuses plain text too.
        assert.match(pairBlock(text, "0.0.0.0-255.255.255.255[External]", "bookinfo/ratings-v1[Deployment]"), /PeerAuthentication STRICT refuses 0\.0\.0\.0-255\.255\.255\.255\[External\], which has no sidecar/);
    });

    it("ambient stack: the waypoint that admits a declared caller and refuses an undeclared one", async () => {
        const objects = await stackObjects(parseEnvironment(stackConfig("ambient")), "ambient");
        const text = explained(objects, { focus: { focusworkload: ["bookinfo/ratings-v1"], focusDirection: "ingress" } });
        assert.match(pairBlock(text, "bookinfo/reviews-v1[Deployment]", "bookinfo/ratings-v1[Deployment]"),
            /^Connections between .*:\n\nAllowed connections: TCP 9080\n(.*\n)*\tLayer 7: ambient: admitted by waypoint bookinfo\/waypoint for Service ratings \(L7\), then ztunnel of bookinfo\/ratings-v1\[Deployment\] \(L4\)\n/);
        assert.match(pairBlock(text, "bookinfo/details-v1[Deployment]", "bookinfo/ratings-v1[Deployment]"),
            /^Connections between .*:\n\nDenied connections: All Connections\n(.*\n)*\tLayer 7: ambient: refused by waypoint bookinfo\/waypoint and ztunnel of bookinfo\/ratings-v1\[Deployment\]/);
    });

    it("NCA calico-testcase26 (Kubernetes, Calico and Istio policy): the rules of every layer for an allowed pair, the tier's end for a denied one", () => {
        const objects = loadManifests(path.join(conformanceFolder("nca"), "calico-testcase26-k8s-calico-istio", "input"));
        const text = explained(objects);
        const ratings = "default/ratings-v1-b6994bb9-gl27w[Pod]";
        const productpage = "default/productpage-v1-6b746f74dc-kkzzk[Pod]";
        assert.strictEqual(pairBlock(text, ratings, productpage), [
            `Connections between ${ratings} => ${productpage}:`,
            "",
            "Allowed connections: TCP 1-65535,UDP 1-65535",
            `\tLayer 3/4: egress of ${ratings}: everything allowed by NetworkPolicy default/testcase26-networkpolicy-k8s-ratings-egress-to-productpage rule 1`,
            `\tLayer 3/4: ingress of ${productpage}: TCP 1-65535 allowed by NetworkPolicy default/testcase26-networkpolicy-calico-productpage-ingress-from-ratings rule 1, UDP 1-65535 allowed by NetworkPolicy default/testcase26-networkpolicy-calico-productpage-ingress-from-ratings rule 2, the rest denied at the end of tier default (selected by NetworkPolicy default/testcase26-networkpolicy-calico-productpage-ingress-from-ratings, GlobalNetworkPolicy default-deny)`,
            `\tLayer 7: sidecar of ${productpage}: ALLOW by AuthorizationPolicy default/testcase26-networkpolicy-istio-productpage-ingress-from-ratings`,
            "",
            "",
        ].join("\n"));
        const details = "default/details-v1-79f774bdb9-tw7sj[Pod]";
        assert.match(pairBlock(text, details, productpage), /\n\nDenied connections: All Connections\n\tLayer 3\/4: egress of default\/details-v1-79f774bdb9-tw7sj\[Pod\]: everything denied at the end of tier default \(selected by GlobalNetworkPolicy default-deny\)\n/);
        assert.match(pairBlock(text, details, productpage), /\tLayer 7: sidecar of default\/productpage-v1-6b746f74dc-kkzzk\[Pod\]: no rule of AuthorizationPolicy default\/testcase26-networkpolicy-istio-productpage-ingress-from-ratings admits default\/details-v1-79f774bdb9-tw7sj\[Pod\]\n/);
    });
});
