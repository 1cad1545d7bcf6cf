import * as assert from "assert";
import fc from "fast-check";
import { flowsToJson, formatFlows } from "../../analysis/flowFormat";
import { IstioLayer } from "../../analysis/istio/evaluate";
import { allRequests, Grant, hostSet, methodSet, pathSet, ValueSet } from "../../analysis/istio/grants";
import { canonicalGrants } from "../../analysis/istio/canonical";
import { matchesPattern } from "../../analysis/istio/matching";
import { formatGrants } from "../../analysis/istio/format";
import { parseManifests } from "../../analysis/manifests";
import { IntervalSet } from "../../analysis/netpol/intervals";
import { clusterModel } from "../../analysis/model/cluster";
import { reachability } from "../../analysis/reach";
import { cluster, curl, external, into, l7Flows, pp, ratings, reviews } from "./istioFixture";

const policy = (name: string, spec: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${name}, namespace: bookinfo}
spec:
${spec}`;

describe("Istio AuthorizationPolicy conditions", () => {
    it("a DENY from ipBlocks denies the External range it names, not pods (whose addresses are unknown), and cuts External there", () => {
        const flows = l7Flows(policy("deny-range", `  selector: {matchLabels: {app: reviews}}
  action: DENY
  rules: [{from: [{source: {ipBlocks: ["10.0.0.0/8"]}}]}]`));
        assert.deepStrictEqual(into(flows, reviews), [
            `0.0.0.0-9.255.255.255[External] => ${reviews} : TCP 9080 [all requests]`,
            `11.0.0.0-255.255.255.255[External] => ${reviews} : TCP 9080 [all requests]`,
            `${pp} => ${reviews} : TCP 9080 [all requests]`,
            `${ratings} => ${reviews} : TCP 9080 [all requests]`,
            `${curl} => ${reviews} : TCP 9080 [all requests]`,
        ]);
        // Every External endpoint is cut, also towards other destinations and as a destination.
        assert.ok(flows.includes(`10.0.0.0-10.255.255.255[External] => ${pp} : TCP 9080 [all requests]`));
        assert.ok(flows.includes(`${curl} => 10.0.0.0-10.255.255.255[External] : All Connections`));
    });

    it("an ALLOW from ipBlocks/notIpBlocks and remoteIpBlocks admits exactly the ranges inside, and no pod", () => {
        const flows = l7Flows(policy("office", `  selector: {matchLabels: {app: reviews}}
  rules:
  - from: [{source: {ipBlocks: ["192.168.0.0/16"], notIpBlocks: ["192.168.1.1"]}}]
  - from: [{source: {remoteIpBlocks: ["8.8.8.8"]}}]`));
        assert.deepStrictEqual(into(flows, reviews), [
            `192.168.0.0-192.168.1.0[External] => ${reviews} : TCP 9080 [all requests]`,
            `192.168.1.2-192.168.255.255[External] => ${reviews} : TCP 9080 [all requests]`,
            `8.8.8.8-8.8.8.8[External] => ${reviews} : TCP 9080 [all requests]`,
        ]);
    });

    it("when: destination.port narrows the ports, source.namespace and source.principal are matched like from", () => {
        const flows = l7Flows(policy("by-when", `  selector: {matchLabels: {app: reviews}}
  rules:
  - when:
    - {key: source.namespace, values: [bookinfo]}
    - {key: source.principal, notValues: ["*/sa/bookinfo-ratings"]}
    - {key: destination.port, values: ["9080", "9090"], notValues: ["9090"]}`));
        assert.deepStrictEqual(into(flows, reviews), [`${pp} => ${reviews} : TCP 9080 [all requests]`]);
        const none = l7Flows(policy("other-port", `  selector: {matchLabels: {app: reviews}}
  rules: [{when: [{key: destination.port, values: ["8080"]}]}]`));
        assert.deepStrictEqual(into(none, reviews), []);
    });

    it("an ALLOW on request headers or a JWT principal grants only under that condition, shown in the flow", () => {
        const flows = l7Flows(policy("by-request", `  selector: {matchLabels: {app: reviews}}
  rules:
  - from: [{source: {requestPrincipals: ["https://issuer.example.com/*"]}}]
    to: [{operation: {methods: [GET]}}]
    when: [{key: "request.headers[x-tenant]", values: [blue]}]`));
        assert.deepStrictEqual(into(flows, reviews).filter((line) => line.startsWith(pp)), [
            `${pp} => ${reviews} : TCP 9080 [GET * when request.auth.principal in [https://issuer.example.com/*] and request.headers[x-tenant] in [blue]]`,
        ]);
        const json = flowsToJson(reachability(parseManifests(`${cluster}\n---\n${policy("by-request", `  selector: {matchLabels: {app: reviews}}
  rules: [{when: [{key: "request.headers[x-tenant]", values: [blue]}]}]`)}`, "c.yaml")));
        assert.deepStrictEqual(json.flows.find((flow) => flow.src === pp && flow.dst === reviews)?.l7, [
            { ports: "9080", methods: "*", paths: "*", hosts: "*", when: ["request.headers[x-tenant] in [blue]"] },
        ]);
    });

    it("a DENY under a request condition never removes the flow: it is a note; an unconditional part still denies", () => {
        const flows = l7Flows(policy("deny-header", `  selector: {matchLabels: {app: reviews}}
  action: DENY
  rules:
  - to: [{operation: {methods: [DELETE]}}]
    when: [{key: "request.headers[x-debug]", values: ["1"]}]
  - to: [{operation: {methods: [PUT]}}]`));
        assert.ok(flows.includes(`${pp} => ${reviews} : TCP 9080 [* !PUT *]\n  note: AuthorizationPolicy bookinfo/deny-header rule 1 denies DELETE * when request.headers[x-debug] in [1]`), flows.join("\n"));
    });

    it("CUSTOM rules are notes (an external authorizer decides); AUDIT changes nothing", () => {
        const flows = l7Flows(`${policy("ext", `  selector: {matchLabels: {app: reviews}}
  action: CUSTOM
  provider: {name: opa}
  rules: [{to: [{operation: {paths: ["/admin*"]}}]}]`)}
---
${policy("audit", `  action: AUDIT
  rules: [{}]`)}`);
        assert.ok(flows.includes(`${pp} => ${reviews} : TCP 9080 [all requests]\n  note: AuthorizationPolicy bookinfo/ext rule 1 (CUSTOM, provider opa) lets its external authorizer decide * /admin*`), flows.join("\n"));
    });

    it("hosts and notHosts are a dimension of the grants: in the bracket and in --json", () => {
        const objects = parseManifests(`${cluster}\n---\n${policy("hosts", `  selector: {matchLabels: {app: reviews}}
  rules: [{to: [{operation: {hosts: ["Reviews.Example.com"], notPaths: ["/private*"]}}]}]`)}`, "c.yaml");
        const flows = reachability(objects);
        assert.ok(formatFlows(flows, { l7: true }).includes(`${pp} => ${reviews} : TCP 9080 [* * !/private* host reviews.example.com]`));
        assert.deepStrictEqual(flowsToJson(flows).flows.find((flow) => flow.src === pp && flow.dst === reviews)?.l7, [
            { ports: "9080", methods: "*", paths: { except: ["/private*"] }, hosts: ["reviews.example.com"] },
        ]);
    });

    it("refuses a when key Istio does not know, and a condition without values, naming the policy and rule", () => {
        assert.throws(() => l7Flows(policy("bad-key", "  rules: [{when: [{key: source.color, values: [red]}]}]")),
            /AuthorizationPolicy bookinfo\/bad-key: rule 1: when\[0\]: key "source.color" is not an attribute AuthorizationPolicy supports/);
        assert.throws(() => l7Flows(policy("no-values", "  rules: [{when: [{key: source.ip}]}]")), /rule 1: when\[0\]: source.ip: at least one of values or notValues must be set/);
        assert.throws(() => l7Flows(policy("bad-ip", "  rules: [{from: [{source: {ipBlocks: [\"10.0.0.0/40\"]}}]}]")), /ipBlocks: "10.0.0.0\/40" is not an IP address or CIDR/);
        // Istio's own validation: a source or operation must set some field (an empty list is unset).
        assert.throws(() => l7Flows(policy("empty-source", "  rules: [{from: [{source: {namespaces: []}}]}]")), /AuthorizationPolicy bookinfo\/empty-source: rule 1: from\[0\]\.source must not be empty/);
        assert.throws(() => l7Flows(policy("null-operation", "  rules: [{to: [{operation: null}]}]")), /rule 1: to\[0\]\.operation must not be null/);
    });
});

describe("Istio gateways", () => {
    const gatewayPod = (labels: string, containers: string) => `
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: v1
kind: Pod
metadata: {name: ingress, namespace: istio-system, labels: {${labels}}}
spec: {serviceAccountName: ingress-sa, containers: [${containers}]}
`;
    const onlyFromGateway = policy("from-gateway", `  selector: {matchLabels: {app: productpage}}
  rules: [{from: [{source: {principals: ["cluster.local/ns/istio-system/sa/ingress-sa"]}}], to: [{operation: {methods: [GET]}}]}]`);

    for (const [what, labels, containers] of [
        ["runs the proxy in router mode (inject \"false\")", `sidecar.istio.io/inject: "false"`, `{name: istio-proxy, args: [proxy, router]}`],
        ["is labelled as a Gateway API gateway", `gateway.networking.k8s.io/gateway-name: public`, `{name: envoy}`],
        ["is labelled istio: ingressgateway", `istio: ingressgateway`, `{name: envoy}`],
    ]) {
        it(`a pod that ${what} calls with its service account's identity`, () => {
            const flows = l7Flows(`${gatewayPod(labels, containers)}---\n${onlyFromGateway}`);
            assert.deepStrictEqual(into(flows, pp).filter((line) => !line.startsWith("bookinfo/")), ["istio-system/ingress[Pod] => bookinfo/productpage[Deployment] : TCP 9080 [GET *]"]);
        });
    }

    it("enforces the policies selecting it (also by targetRefs to its Gateway), and PeerAuthentication STRICT does not refuse its outside clients", () => {
        const flows = l7Flows(`${gatewayPod("gateway.networking.k8s.io/gateway-name: public", "{name: istio-proxy, args: [proxy, router]}")}---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: gateway-paths, namespace: istio-system}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: public}]
  rules: [{to: [{operation: {paths: ["/public/*"]}}]}]`);
        assert.deepStrictEqual(into(flows, "istio-system/ingress[Pod]"), [
            `${external} => istio-system/ingress[Pod] : All Connections [* /public/*]`,
            `${pp} => istio-system/ingress[Pod] : All Connections [* /public/*]`,
            `${ratings} => istio-system/ingress[Pod] : All Connections [* /public/*]`,
            `${reviews} => istio-system/ingress[Pod] : All Connections [* /public/*]`,
            `${curl} => istio-system/ingress[Pod] : All Connections [* /public/*]`,
        ]);
    });
});

describe("rule-level explanation data", () => {
    it("names the policy, rule index and action of every rule that matched, conditional ones marked", () => {
        const objects = parseManifests(`${cluster}\n---\n${policy("allow", `  selector: {matchLabels: {app: reviews}}
  rules:
  - from: [{source: {namespaces: [legacy]}}]
  - from: [{source: {namespaces: [bookinfo]}}]`)}\n---\n${policy("deny", `  action: DENY
  rules:
  - to: [{operation: {methods: [DELETE]}}]
    when: [{key: "request.headers[x-a]", values: ["1"]}]
  - to: [{operation: {methods: [PATCH]}}]`)}`, "c.yaml");
        const layer = IstioLayer.of(clusterModel(objects))!;
        const explanation = layer.explain(pp, reviews)!;
        assert.deepStrictEqual(explanation.rules, [
            { policy: "AuthorizationPolicy bookinfo/deny", rule: 1, action: "DENY", conditional: true },
            { policy: "AuthorizationPolicy bookinfo/deny", rule: 2, action: "DENY", conditional: false },
            { policy: "AuthorizationPolicy bookinfo/allow", rule: 2, action: "ALLOW", conditional: false },
        ]);
        assert.deepStrictEqual(explanation.deniedBy, ["AuthorizationPolicy bookinfo/deny"]);
    });

    it("explains an External range by its addresses", () => {
        const objects = parseManifests(`${cluster}\n---\n${policy("deny-range", `  action: DENY
  rules: [{from: [{source: {ipBlocks: ["10.0.0.0/8"]}}]}]`)}`, "c.yaml");
        const layer = IstioLayer.of(clusterModel(objects))!;
        assert.deepStrictEqual(layer.explain("10.0.0.0-10.255.255.255[External]", reviews)!.deniedBy, ["AuthorizationPolicy bookinfo/deny-range"]);
        assert.deepStrictEqual(layer.explain("11.0.0.0-255.255.255.255[External]", reviews)!.rules, []);
    });
});

describe("Istio AuthorizationPolicy service accounts and trust domains", () => {
    const allowFrom = (source: string) => into(l7Flows(policy("from", `  selector: {matchLabels: {app: reviews}}
  rules: [{from: [{source: ${source}}]}]`)), reviews);

    it("serviceAccounts admits only callers running as one of them (no namespace: the policy's), never plain text", () => {
        const expected = [`${pp} => ${reviews} : TCP 9080 [all requests]`];
        assert.deepStrictEqual(allowFrom("{serviceAccounts: [bookinfo/bookinfo-productpage]}"), expected);
        assert.deepStrictEqual(allowFrom("{serviceAccounts: [bookinfo-productpage]}"), expected);
        assert.deepStrictEqual(allowFrom("{serviceAccounts: [legacy/bookinfo-productpage]}"), []);
    });

    it("notServiceAccounts admits every other caller, plain text included", () => {
        assert.deepStrictEqual(allowFrom("{notServiceAccounts: [bookinfo-productpage]}"), [
            `${external} => ${reviews} : TCP 9080 [all requests]`,
            `${ratings} => ${reviews} : TCP 9080 [all requests]`,
            `${curl} => ${reviews} : TCP 9080 [all requests]`,
        ]);
    });

    it("trustDomains matches the caller's trust domain (cluster.local), exact or by a wildcard at one end", () => {
        assert.deepStrictEqual(allowFrom("{trustDomains: [example.org]}"), []);
        assert.deepStrictEqual(allowFrom("{trustDomains: ['cluster.*']}"), [`${pp} => ${reviews} : TCP 9080 [all requests]`, `${ratings} => ${reviews} : TCP 9080 [all requests]`]);
        assert.deepStrictEqual(allowFrom("{notTrustDomains: ['*']}"), [`${external} => ${reviews} : TCP 9080 [all requests]`, `${curl} => ${reviews} : TCP 9080 [all requests]`]);
    });

    it("when source.serviceAccount and source.trustDomain decide as the source fields do", () => {
        const when = (condition: string) => into(l7Flows(policy("when", `  selector: {matchLabels: {app: reviews}}
  rules: [{when: [${condition}]}]`)), reviews);
        assert.deepStrictEqual(when("{key: source.serviceAccount, values: [bookinfo/bookinfo-ratings]}"), [`${ratings} => ${reviews} : TCP 9080 [all requests]`]);
        assert.deepStrictEqual(when("{key: source.trustDomain, values: [cluster.local]}"), [`${pp} => ${reviews} : TCP 9080 [all requests]`, `${ratings} => ${reviews} : TCP 9080 [all requests]`]);
    });
});

describe("Istio AuthorizationPolicy dry run", () => {
    it("a policy annotated istio.io/dry-run: \"true\" enforces nothing: the flows are those without it", () => {
        const deny = (annotations: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-pp, namespace: bookinfo${annotations}}
spec:
  selector: {matchLabels: {app: reviews}}
  action: DENY
  rules: [{from: [{source: {principals: [cluster.local/ns/bookinfo/sa/bookinfo-productpage]}}]}]`;
        const enforced = into(l7Flows(deny("")), reviews);
        assert.ok(!enforced.some((line) => line.startsWith(`${pp} =>`)), enforced.join("\n"));
        const dryRun = into(l7Flows(deny(", annotations: {istio.io/dry-run: \"true\"}")), reviews);
        assert.ok(dryRun.includes(`${pp} => ${reviews} : TCP 9080 [all requests]`), dryRun.join("\n"));
        assert.deepStrictEqual(into(l7Flows(deny(", annotations: {istio.io/dry-run: \"false\"}")), reviews), enforced);
    });
});

describe("Istio AuthorizationPolicy port 0", () => {
    it("is a port no connection uses: an ALLOW to port 0 grants nothing, a notPorts of 0 excludes nothing", () => {
        const only0 = l7Flows(policy("zero", `  selector: {matchLabels: {app: reviews}}
  rules: [{to: [{operation: {ports: ["0"]}}]}]`));
        assert.deepStrictEqual(into(only0, reviews), []);
        const not0 = l7Flows(policy("not-zero", `  selector: {matchLabels: {app: reviews}}
  rules: [{to: [{operation: {notPorts: ["0"]}}]}]`));
        assert.ok(into(not0, reviews).includes(`${pp} => ${reviews} : TCP 9080 [all requests]`), into(not0, reviews).join("\n"));
    });
});

describe("canonical grants", () => {
    const grant = (ports: [number, number], methods?: string[], paths?: string[], hosts?: string[], notPaths?: string[]): Grant => ({
        ports: IntervalSet.range(...ports), methods: methodSet(methods, undefined), paths: pathSet(paths, notPaths), hosts: hostSet(hosts, undefined), when: [],
    });

    it("spells equal unions equally, however the rules were split", () => {
        const one = canonicalGrants([grant([80, 80], ["GET"], ["/a"]), grant([80, 80], ["GET"], ["/b"]), grant([81, 90], ["GET"], ["/a", "/b"])]);
        const other = canonicalGrants([grant([80, 90], ["GET"], ["/b", "/a"])]);
        assert.deepStrictEqual(one, other);
        assert.deepStrictEqual(canonicalGrants([allRequests, grant([80, 80], ["GET"], ["/a"])]), [allRequests]);
    });

    it("splits by ports, then methods, then hosts (pieces disjoint), uniting paths within; pieces alike but for ports merge", () => {
        const result = canonicalGrants([grant([1, 100], undefined, undefined, ["a.com"], ["/x"]), grant([50, 50], ["GET"], ["/x"], undefined)]);
        const text = result.map((g) => `${g.ports.intervals.map((i) => `${i.start}-${i.end}`).join(",")} ${JSON.stringify(g.methods)} ${JSON.stringify(g.hosts)} ${JSON.stringify(g.paths)}`);
        assert.deepStrictEqual(text, [
            `1-49,51-100 {"include":"*","exclude":[]} {"include":["a.com"],"exclude":[]} {"include":"*","exclude":["/x"]}`,
            `50-50 {"include":"*","exclude":["GET"]} {"include":["a.com"],"exclude":[]} {"include":"*","exclude":["/x"]}`,
            // GET on a.com: any path but /x from the first grant, /x from the second.
            `50-50 {"include":["GET"],"exclude":[]} {"include":["a.com"],"exclude":[]} {"include":"*","exclude":[]}`,
            `50-50 {"include":["GET"],"exclude":[]} {"include":"*","exclude":["a.com"]} {"include":["/x"],"exclude":[]}`,
        ]);
    });

    it("unites two path sets into the one that covers the other, exceptions or not", () => {
        const printed = (grants: Grant[]) => formatGrants(canonicalGrants(grants), IntervalSet.range(80, 80));
        // GET /foo* and GET /foo* but /foo/bar*: the second adds nothing; PUT /foo/bar* stays a piece of its own.
        assert.strictEqual(printed([grant([80, 80], ["GET"], ["/foo*"]), grant([80, 80], ["GET"], ["/foo*"], undefined, ["/foo/bar*"]), grant([80, 80], ["PUT"], ["/foo/bar*"])]),
            "GET /foo*; PUT /foo/bar*");
        assert.strictEqual(printed([grant([80, 80], ["GET"], ["/foo*"], undefined, ["/foo/bar*"]), grant([80, 80], ["GET"], ["/foo*"])]), "GET /foo*");
        // Any path but /a/b* holds every path that any path but /a* holds.
        assert.strictEqual(printed([grant([80, 80], ["GET"], undefined, undefined, ["/a*"]), grant([80, 80], ["GET"], undefined, undefined, ["/a/b*"])]), "GET * !/a/b*");
        // /foo* but /foo/bar* covers /foo/baz*, which lies outside the exception.
        assert.strictEqual(printed([grant([80, 80], ["GET"], ["/foo*"], undefined, ["/foo/bar*"]), grant([80, 80], ["GET"], ["/foo/baz*"])]), "GET /foo* !/foo/bar*");
        // Neither covers the other: both stay, a correct union if not the shortest.
        assert.strictEqual(printed([grant([80, 80], ["GET"], ["/foo*"], undefined, ["/foo/bar*"]), grant([80, 80], ["GET"], ["/foo/bar/x*"])]),
            "GET /foo* !/foo/bar*; GET /foo/bar/x*");
        // A prefix exception against a suffix value may or may not overlap: not merged.
        assert.strictEqual(printed([grant([80, 80], ["GET"], ["/foo*"], undefined, ["/foo/bar*"]), grant([80, 80], ["GET"], ["*.json"])]),
            "GET *.json; GET /foo* !/foo/bar*");
    });
});

describe("canonical grants: path unions hold exactly the paths of the grants united", () => {
    // Short paths over a two-letter alphabet, so that prefixes, suffixes and exceptions meet often.
    const path = fc.stringMatching(/^\/[ab/]{0,3}$/);
    const pattern = fc.oneof(path, path.map((value) => `${value}*`), path.map((value) => `*${value.slice(1)}`));
    const paths = fc.record({ include: fc.option(fc.array(pattern, { minLength: 1, maxLength: 2 }), { nil: undefined }), exclude: fc.array(pattern, { maxLength: 2 }) });
    const holds = (set: ValueSet, value: string) => (set.include === "*" || set.include.some((item) => matchesPattern(item, value))) && !set.exclude.some((item) => matchesPattern(item, value));
    const grantOf = (set: { include?: string[]; exclude: string[] }): Grant => ({
        ports: IntervalSet.range(80, 80), methods: methodSet(["GET"], undefined), paths: pathSet(set.include, set.exclude), hosts: hostSet(undefined, undefined), when: [],
    });

    it("for any two or three path sets and any path", () => {
        fc.assert(fc.property(fc.array(paths, { minLength: 2, maxLength: 3 }), fc.array(path, { minLength: 8, maxLength: 8 }), (sets, probes) => {
            const grants = sets.map(grantOf);
            const united = canonicalGrants(grants);
            for (const probe of [...probes, "/", "/a", "/a/b", "/b/a", "/ab"]) {
                assert.strictEqual(united.some((grant) => holds(grant.paths, probe)), grants.some((grant) => holds(grant.paths, probe)), probe);
            }
        }), { numRuns: 2000 });
    });
});

describe("canonical grants of policies", () => {
    it("prints [GET /foo*; PUT /foo/bar*] for a rule allowing GET /foo* beside one allowing GET /foo* but /foo/bar*", () => {
        const objects = parseManifests(`${cluster}---
${policy("reviews", `  selector: {matchLabels: {app: reviews}}
  rules:
  - to: [{operation: {methods: [GET], paths: ["/foo*"]}}]
  - to: [{operation: {methods: [GET], paths: ["/foo*"], notPaths: ["/foo/bar*"]}}]
  - to: [{operation: {methods: [PUT], paths: ["/foo/bar*"]}}]`)}`, "c.yaml");
        const line = formatFlows(reachability(objects), { l7: true }).split("\n").find((text) => text.startsWith(`${pp} => ${reviews} :`));
        assert.strictEqual(line, `${pp} => ${reviews} : TCP 9080 [GET /foo*; PUT /foo/bar*]`);
    });
});
