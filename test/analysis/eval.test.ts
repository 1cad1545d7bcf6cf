import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { evalExitCodes } from "../../analysis/commands/eval";
import { parseEnvironment } from "../../stacks/config";
import { stackObjects } from "../../stacks/offline";
import { kubeconfigIsSecret, stackConfig } from "../harness/stackConfig";
import { runCli } from "./cliRun";
import { cluster } from "./istioFixture";

describe("ztmesh eval (command line)", () => {
    let folder: string;
    let dev: string;

    before(async () => {
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-eval-"));
        // The dev stack's objects (Calico GlobalNetworkPolicy, NetworkPolicy, Istio AuthorizationPolicy, ...) as one List; its Secrets play no part.
        const objects = (await stackObjects(parseEnvironment(stackConfig("dev"), kubeconfigIsSecret), "dev")).filter((object) => object.kind !== "Secret");
        dev = path.join(folder, "dev.json");
        fs.writeFileSync(dev, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
        fs.writeFileSync(path.join(folder, "conditional.yaml"), `${cluster}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: reviews-viewer, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: reviews}}
  rules:
  - from: [{source: {principals: ["cluster.local/ns/bookinfo/sa/bookinfo-productpage"]}}]
    to: [{operation: {methods: [GET], paths: ["/reviews/*"]}}]
    when: [{key: "request.headers[x-user]", values: [alice]}]
`);
        fs.writeFileSync(path.join(folder, "shop.yaml"), `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5d8f9-abcde
  namespace: shop
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f9, uid: u1, controller: true}]
spec: {containers: [{name: web, image: web, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.1.2.3}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: client, image: client}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: other}}
spec: {containers: [{name: web, image: web}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: http}]}]
`);
    });

    after(() => fs.rmSync(folder, { recursive: true, force: true }));

    describe("on the dev stack (Calico and Istio)", () => {
        it("a declared flow is allowed with a declared method and path", async () => {
            const { code, stdout, stderr } = await runCli(["eval", dev, "--source", "bookinfo/productpage-v1", "--destination", "bookinfo/reviews-v1", "--port", "9080", "--method", "GET", "--path", "/reviews/1"]);
            assert.deepStrictEqual([code, stderr], [evalExitCodes.allowed, ""]);
            const lines = stdout.split("\n");
            assert.strictEqual(lines[0], "bookinfo/productpage-v1 => bookinfo/reviews-v1 over tcp/9080 GET /reviews/1: true");
            assert.ok(lines.includes("  the request is allowed by: GET /reviews/*"), stdout);
            assert.ok(lines.includes("  sidecar of bookinfo/reviews-v1[Deployment]: ALLOW by AuthorizationPolicy bookinfo/reviews"), stdout);
        });

        it("the same flow is denied with a method no policy declares, naming what is allowed", async () => {
            const { code, stdout } = await runCli(["eval", dev, "--source", "bookinfo/productpage-v1", "--destination", "bookinfo/reviews-v1", "-p", "9080", "--method", "DELETE", "--path", "/reviews/1"]);
            assert.strictEqual(code, evalExitCodes.denied);
            assert.strictEqual(stdout.split("\n")[0], "bookinfo/productpage-v1 => bookinfo/reviews-v1 over tcp/9080 DELETE /reviews/1: false");
            assert.ok(stdout.includes("  no request grant at bookinfo/reviews-v1[Deployment] holds it; allowed: GET /reviews/*\n"), stdout);
        });

        it("a path outside the declared ones is denied", async () => {
            const { code } = await runCli(["eval", dev, "--source", "bookinfo/productpage-v1", "--destination", "bookinfo/reviews-v1", "-p", "9080", "--method", "GET", "--path", "/ratings/1", "-q"]);
            assert.strictEqual(code, evalExitCodes.denied);
        });

        it("the gateway Deployment Istio creates for a Gateway is a peer: External reaches it, and it reaches productpage with a declared path only", async () => {
            const fromOutside = await runCli(["eval", dev, "--source", "203.0.113.7", "--destination", "istio-ingress/mesh-gateway-istio", "-p", "443", "-q"]);
            assert.deepStrictEqual([fromOutside.code, fromOutside.stdout], [evalExitCodes.allowed, "203.0.113.7 => istio-ingress/mesh-gateway-istio over tcp/443: true\n"]);
            const args = ["eval", dev, "--source", "istio-ingress/mesh-gateway-istio", "--destination", "bookinfo/productpage-v1", "-p", "9080", "--method", "GET", "-q", "--path"];
            assert.deepStrictEqual(await Promise.all(["/productpage", "/admin"].map(async (path) => (await runCli([...args, path])).code)), [evalExitCodes.allowed, evalExitCodes.denied]);
        });

        it("a request granted only under a condition on request data is denied, and the condition named", async () => {
            const { code, stdout } = await runCli(["eval", path.join(folder, "conditional.yaml"), "--source", "bookinfo/productpage", "--destination", "bookinfo/reviews", "-p", "9080", "--method", "GET", "--path", "/reviews/1"]);
            assert.strictEqual(code, evalExitCodes.denied);
            assert.ok(stdout.includes("\n  only under conditions the manifests cannot decide (not counted): GET /reviews/* when request.headers[x-user] in [alice]\n"), stdout);
        });

        it("an undeclared pair is denied, with the Calico tier ends and the AuthorizationPolicies that decided it", async () => {
            const { code, stdout } = await runCli(["eval", dev, "--source", "bookinfo/details-v1", "--destination", "bookinfo/ratings-v1", "-p", "9080"]);
            assert.strictEqual(code, evalExitCodes.denied);
            assert.deepStrictEqual(stdout.split("\n"), [
                "bookinfo/details-v1 => bookinfo/ratings-v1 over tcp/9080: false",
                "  bookinfo/details-v1[Deployment] => bookinfo/ratings-v1[Deployment] allowed: no connection",
                "  egress of bookinfo/details-v1[Deployment]: everything denied at the end of tier default; ingress of bookinfo/ratings-v1[Deployment]: everything denied at the end of tier default",
                "  sidecar of bookinfo/ratings-v1[Deployment]: no rule of AuthorizationPolicy bookinfo/ratings, AuthorizationPolicy bookinfo/allow-nothing admits bookinfo/details-v1[Deployment]",
                "",
            ]);
        });
    });

    describe("peers and ports", () => {
        const shop = () => path.join(folder, "shop.yaml");

        it("a replica's pod stands for its workload, and a named port of the destination resolves", async () => {
            const { code, stdout } = await runCli(["eval", shop(), "--source", "shop/client", "--destination", "shop/web-5d8f9-abcde", "-p", "http", "--fail"]);
            assert.strictEqual(code, evalExitCodes.allowed);
            assert.deepStrictEqual(stdout.split("\n").slice(0, 3), [
                "shop/client => shop/web-5d8f9-abcde over tcp/http: true",
                "  pod shop/web-5d8f9-abcde belongs to shop/web-5d8f9[ReplicaSet]",
                "  shop/client[Pod] => shop/web-5d8f9[ReplicaSet] allowed: TCP 8080",
            ]);
        });

        it("a pod's address stands for its workload", async () => {
            const { code, stdout } = await runCli(["eval", shop(), "--source", "shop/client", "--destination", "10.1.2.3", "-p", "8080"]);
            assert.strictEqual(code, evalExitCodes.allowed);
            assert.strictEqual(stdout.split("\n")[1], "  10.1.2.3 is the address of pod shop/web-5d8f9-abcde of shop/web-5d8f9[ReplicaSet]");
        });

        it("a name two workloads share asks for the kind, and the kind settles it", async () => {
            const ambiguous = await runCli(["eval", shop(), "--source", "shop/client", "--destination", "shop/web", "-p", "8080"]);
            assert.deepStrictEqual([ambiguous.code, ambiguous.stdout], [2, ""]);
            assert.match(ambiguous.stderr, /^ztmesh eval: destination shop\/web names 2 workloads \(shop\/web\[Deployment\], shop\/web\[Pod\]\); add the kind/);
            const { code, stdout } = await runCli(["eval", shop(), "--source", "shop/client", "--destination", "shop/web[Deployment]", "-p", "8080", "-q"]);
            assert.deepStrictEqual([code, stdout], [evalExitCodes.allowed, "shop/client => shop/web[Deployment] over tcp/8080: true\n"]);
        });

        it("refuses what it cannot evaluate with exit code 2 and a message naming the flag or peer", async () => {
            const cases: [string[], RegExp][] = [
                [["--source", "shop/nobody", "--destination", "shop/client", "-p", "80"], /source shop\/nobody: no workload or pod of that namespace and name/],
                [["--source", "shop/client", "--destination", "shop/client"], /no port given/],
                [["--source", "shop/client", "--destination", "shop/client", "-p", "80", "--protocol", "icmp"], /--protocol "icmp": give tcp, udp or sctp/],
                [["--source", "shop/client", "-s", "client", "--destination", "shop/client", "-p", "80"], /give the source once/],
                [["--source", "shop/client", "--destination", "shop/client", "-p", "70000"], /port "70000": give a number from 1 to 65535/],
                [["--source", "shop/client", "--destination", "shop/client", "-p", "80", "--protocol", "udp", "--method", "GET"], /--method and --path ask about an HTTP request, which goes over TCP/],
                [["--source", "1.2.3.4", "--destination", "5.6.7.8", "-p", "80"], /both outside the cluster/],
            ];
            for (const [args, message] of cases) {
                const { code, stdout, stderr } = await runCli(["eval", shop(), ...args]);
                assert.deepStrictEqual([code, stdout], [2, ""], args.join(" "));
                assert.match(stderr, message, args.join(" "));
            }
        });
    });
});
