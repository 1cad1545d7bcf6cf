import * as assert from "assert";
import { formatFlows } from "../../analysis/flowFormat";
import { allRequests, anyValue, Grant, methodSet, pathSet, subtractGrant } from "../../analysis/istio/grants";
import { formatGrants } from "../../analysis/istio/format";
import { matchesPattern } from "../../analysis/istio/matching";
import { parseManifests } from "../../analysis/manifests";
import { connectivity, formatConnections } from "../../analysis/netpol";
import { IntervalSet } from "../../analysis/netpol/intervals";
import { reachability } from "../../analysis/reach";
import { cluster, curl, external, into, l7Flows, pp, ratings, reviews } from "./istioFixture";

describe("Istio layer 7 evaluation", () => {
    it("without Istio policy, meshed traffic carries 'all requests' and layer 4 is unchanged", () => {
        const objects = parseManifests(cluster, "cluster.yaml");
        assert.strictEqual(formatFlows(reachability(objects)), formatConnections(connectivity(objects)));
        assert.deepStrictEqual(into(l7Flows("kind: ConfigMap\nmetadata: {name: unrelated}"), reviews), [
            `${external} => ${reviews} : TCP 9080 [all requests]`,
            `${pp} => ${reviews} : TCP 9080 [all requests]`,
            `${ratings} => ${reviews} : TCP 9080 [all requests]`,
            `${curl} => ${reviews} : TCP 9080 [all requests]`,
        ]);
    });

    it("an ALLOW for one principal with GET on /reviews/* admits only that caller, only for those requests", () => {
        const flows = l7Flows(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: reviews-viewer, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: reviews}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/bookinfo/sa/bookinfo-productpage"]}}]
    to: [{operation: {methods: [GET], paths: ["/reviews/*"]}}]
`);
        assert.deepStrictEqual(into(flows, reviews), [`${pp} => ${reviews} : TCP 9080 [GET /reviews/*]`]);
        // Other workloads are not selected by the policy.
        assert.ok(flows.includes(`${reviews} => ${ratings} : TCP 9080 [all requests]`));
    });

    it("DENY wins over ALLOW, and what is left is printed with its exceptions", () => {
        const flows = l7Flows(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-namespace, namespace: bookinfo}
spec:
  action: ALLOW
  rules: [{from: [{source: {namespaces: ["bookinfo"]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-admin, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: reviews}}
  action: DENY
  rules:
  - from: [{source: {principals: ["*/sa/bookinfo-productpage"]}}]
    to: [{operation: {paths: ["/admin*"]}}]
  - from: [{source: {notPrincipals: ["*productpage"]}}]
    to: [{operation: {methods: [DELETE, POST]}}]
`);
        assert.deepStrictEqual(into(flows, reviews), [
            `${pp} => ${reviews} : TCP 9080 [* * !/admin*]`,
            `${ratings} => ${reviews} : TCP 9080 [* !DELETE !POST *]`,
        ]);
        // curl has no sidecar, so no namespace: the namespace ALLOW does not admit it anywhere.
        assert.ok(!flows.some((line) => line.startsWith(`${curl} => bookinfo/`)));
        assert.ok(flows.includes(`${curl} => ${external} : All Connections`), "its own egress is not Istio's business");
    });

    it("an ALLOW policy without rules allows nothing: the connection disappears", () => {
        const flows = l7Flows(`
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: {name: allow-nothing, namespace: bookinfo}
spec: {selector: {matchLabels: {app: ratings}}}
`);
        assert.deepStrictEqual(into(flows, ratings), []);
        assert.strictEqual(into(flows, reviews).length, 4);
    });

    it("policies in istio-system apply mesh-wide; callers without a sidecar pass notNamespaces", () => {
        const flows = l7Flows(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: outsiders, namespace: istio-system}
spec:
  action: DENY
  rules: [{from: [{source: {notNamespaces: ["bookinfo"]}}], to: [{operation: {ports: ["9080"], notMethods: [GET]}}]}]
`);
        assert.deepStrictEqual(into(flows, pp), [
            `${external} => ${pp} : TCP 9080 [GET *]`,
            `${ratings} => ${pp} : TCP 9080 [all requests]`,
            `${reviews} => ${pp} : TCP 9080 [all requests]`,
            `${curl} => ${pp} : TCP 9080 [GET *]`,
        ]);
    });

    it("PeerAuthentication STRICT refuses callers without a sidecar; a workload's port-level PERMISSIVE reopens a port", () => {
        const strict = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}\n";
        const flows = l7Flows(strict);
        assert.deepStrictEqual(into(flows, pp), [`${ratings} => ${pp} : TCP 9080 [all requests]`, `${reviews} => ${pp} : TCP 9080 [all requests]`]);
        assert.ok(flows.some((line) => line.startsWith(`${pp} => ${curl}`)), "traffic into the non-meshed workload is untouched");
        const reopened = l7Flows(`${strict}---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: productpage, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: productpage}}
  portLevelMtls: {"9080": {mode: PERMISSIVE}}
`);
        assert.ok(reopened.includes(`${curl} => ${pp} : TCP 9080 [all requests]`));
        assert.ok(!reopened.some((line) => line.startsWith(`${curl} => ${reviews}`)));
    });

    it("a pod label opts a workload out of injection", () => {
        const objects = parseManifests(cluster.replace("metadata: {labels: {app: ratings}}", "metadata: {labels: {app: ratings, sidecar.istio.io/inject: \"false\"}}")
            + "\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-all-l7, namespace: bookinfo}\nspec: {action: DENY, rules: [{}]}\n", "cluster.yaml");
        const flows = formatFlows(reachability(objects), { l7: true }).split("\n");
        assert.ok(flows.includes(`${pp} => ${ratings} : TCP 9080`), "no sidecar at ratings: no layer 7 decision");
        assert.ok(!flows.some((line) => line.includes(` => ${reviews} :`)));
    });
});

describe("layer 7 grants", () => {
    const grant = (methods: string[] | undefined, paths: string[] | undefined, ports = allRequests.ports): Grant => ({ ports, methods: methodSet(methods, undefined), paths: pathSet(paths, undefined), hosts: anyValue, when: [] });
    const text = (grants: Grant[]) => formatGrants(grants, allRequests.ports);

    it("matches Istio's exact, prefix, suffix and presence patterns", () => {
        assert.ok(matchesPattern("/reviews/*", "/reviews/1"));
        assert.ok(!matchesPattern("/reviews/*", "/ratings/1"));
        assert.ok(matchesPattern("*/sa/reader", "cluster.local/ns/a/sa/reader"));
        assert.ok(matchesPattern("*", "x") && !matchesPattern("*", ""));
        assert.ok(!matchesPattern("/a", "/a/b"));
    });

    it("subtracts a method-and-path DENY by splitting the grant", () => {
        const left = subtractGrant([grant(["GET", "POST"], ["/api/*"])], grant(["POST"], ["/api/admin*"]));
        assert.strictEqual(text(left), "GET /api/*; POST /api/* !/api/admin*");
    });

    it("subtracts on the shared ports only, and keeps a DENY's notPaths as the only paths left", () => {
        const deny: Grant = { ports: IntervalSet.range(8080, 8080), methods: methodSet(undefined, undefined), paths: pathSet(undefined, ["/healthz"]), hosts: anyValue, when: [] };
        const left = subtractGrant([allRequests], deny);
        assert.strictEqual(text(left), "TCP 1-8079,8081-65535: all requests; TCP 8080: * /healthz");
    });

    it("drops what a DENY covers entirely", () => {
        assert.deepStrictEqual(subtractGrant([grant(["GET"], ["/a", "/b*"])], grant(undefined, ["/a", "/b*"])), []);
        assert.deepStrictEqual(subtractGrant([grant(["GET"], undefined)], grant(["GET", "PUT"], undefined)), []);
    });
});
