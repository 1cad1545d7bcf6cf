import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../analysis/cli";
import { formatFlows } from "../../analysis/flowFormat";
import { parseManifests, readManifests } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";
import { objectProblem } from "../../analysis/schema/validate";
import { projectRoot } from "../harness/stackConfig";
import { syntheticCluster } from "../bench/syntheticCluster";
import { parse } from "yaml";

const conformanceRoot = path.resolve(projectRoot, "..", "shared", "conformance");

/** The problem `objectProblem` finds in the object written as YAML, or undefined. */
const problemOf = (yaml: string) => objectProblem(parse(yaml));

const namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: c, image: x}]}\n";

describe("input validation: the bad inputs of the differential tests", () => {
    let folder: string;
    beforeEach(() => { folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-validate-")); });
    afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

    /** Runs `ztmesh reach` on a folder holding the namespace, a pod and `extra` (in bad.yaml). */
    async function reachWith(extra: string): Promise<{ code: number; stdout: string; stderr: string; file: string }> {
        fs.writeFileSync(path.join(folder, "cluster.yaml"), `${namespace}---\n${pod}`);
        const file = path.join(folder, "bad.yaml");
        fs.writeFileSync(file, extra);
        let stdout = "";
        let stderr = "";
        const code = await main(["reach", folder], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
        return { code, stdout, stderr, file };
    }

    const cases: Array<[string, string, string]> = [
        ["policyTypes written as a string",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: Ingress}\n",
            'NetworkPolicy shop/deny: spec.policyTypes: must be a list, found a string "Ingress"'],
        ["a podSelector written as a string",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec: {podSelector: app=web}\n",
            'NetworkPolicy shop/web: spec.podSelector: must be a mapping, found a string "app=web"'],
        ["a Calico namespaceSelector written as a mapping",
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: all}\nspec: {namespaceSelector: {}, types: [Ingress]}\n",
            "GlobalNetworkPolicy all: spec.namespaceSelector: must be a string, found a mapping {}"],
        ["a container's ports written as a mapping",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: c, image: x, ports: {}}]}\n",
            "Deployment shop/api: spec.template.spec.containers[0].ports: must be a list, found a mapping {}"],
        ["endPort with a named port",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec: {podSelector: {}, ingress: [{ports: [{port: http, endPort: 9000}]}]}\n",
            'NetworkPolicy shop/web: spec.ingress[0].ports[0].endPort: may only be given with a numeric port (found the named port "http"); give port a number, or drop endPort'],
        ["a label value written as a YAML number",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: v1, namespace: shop, labels: {app: web, version: 1}}\nspec: {containers: [{name: c, image: x}]}\n",
            'Pod shop/v1: metadata.labels.version: must be a string, found a number 1; write it in quotes ("1")'],
        ["a namespaced Calico NetworkPolicy with a namespaceSelector",
            "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec: {namespaceSelector: all(), selector: all()}\n",
            "NetworkPolicy shop/p: spec.namespaceSelector: unknown field (the schema has no such field; check its spelling and indentation)"],
        ["a DENY AuthorizationPolicy without rules, which istiod refuses",
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-all, namespace: shop}\nspec: {action: DENY}\n",
            "AuthorizationPolicy shop/deny-all: spec.rules: a DENY policy without rules never applies, so istiod refuses it; add an empty rule (rules: [{}]) to apply it to every request"],
    ];
    for (const [what, yaml, message] of cases) {
        it(`refuses ${what}: exit 2, naming the file, object, field and problem`, async () => {
            const result = await reachWith(yaml);
            assert.strictEqual(result.code, 2, result.stdout);
            assert.strictEqual(result.stdout, "");
            assert.strictEqual(result.stderr, `ztmesh reach: ${result.file}: ${message}\n`);
        });
    }

    it("skips a document that is no Kubernetes object with a one-line warning naming the file", async () => {
        const report = path.join(folder, "report.json");
        fs.writeFileSync(report, '[{"src": "a", "dst": "b", "conn": "All Connections"}]');
        const result = await reachWith('{"analyzer": "netpol-analyzer", "connlist": []}');
        assert.strictEqual(result.code, 0, result.stderr);
        assert.strictEqual(result.stderr, [
            `ztmesh reach: warning: ${result.file}: document 1 is not a Kubernetes object (no apiVersion or kind); skipped`,
            `ztmesh reach: warning: ${report}: document 1 is not a Kubernetes object (a list); skipped`,
            "",
        ].join("\n"));
        assert.ok(result.stdout.includes("shop/web[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections"), result.stdout);
    });

    it("refuses a folder with no Kubernetes objects left", async () => {
        fs.writeFileSync(path.join(folder, "report.json"), '{"connlist": []}');
        let stderr = "";
        const code = await main(["reach", folder], { stdout: () => undefined, stderr: (text) => { stderr += text; } });
        assert.strictEqual(code, 2);
        assert.match(stderr, new RegExp(`ztmesh reach: ${folder}: no Kubernetes objects found in ${folder}\n$`));
    });
});

describe("input validation: schemas and versions", () => {
    it("reads the items of a typed list under the list's apiVersion; refuses a top-level object without one", () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-validate-"));
        try {
            fs.writeFileSync(path.join(folder, "pods.yaml"), "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: p, namespace: a}\n");
            assert.deepStrictEqual(readManifests([folder]).map(({ object }) => `${object.apiVersion} ${object.kind}`), ["v1 Pod"]);
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
        assert.strictEqual(problemOf("kind: NetworkPolicy\nmetadata: {name: n}"), "apiVersion: missing; NetworkPolicy is served as crd.projectcalico.org/v1 or networking.k8s.io/v1 or projectcalico.org/v3");
    });

    it("refuses an apiVersion the pinned servers do not serve for a kind the engine reads", () => {
        assert.strictEqual(problemOf("apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: n}"),
            "apiVersion: extensions/v1beta1 does not serve NetworkPolicy (Kubernetes v1.36 with the pinned CRDs serves it as crd.projectcalico.org/v1 or networking.k8s.io/v1 or projectcalico.org/v3)");
        assert.match(problemOf("apiVersion: security.istio.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: n}")!, /does not serve AuthorizationPolicy .*security.istio.io\/v1 or security.istio.io\/v1beta1/);
        assert.strictEqual(problemOf("apiVersion: 1\nkind: Namespace\nmetadata: {name: n}"), "apiVersion: must be a string such as v1, found 1");
        assert.strictEqual(problemOf("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: n}\nspec: {anything: 1}"), undefined, "kinds the engine does not read are not checked");
    });

    it("reads a null field as unset, as the API server does", () => {
        assert.strictEqual(problemOf("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n, creationTimestamp: null}\nspec: {podSelector: {}, ingress: null}"), undefined);
    });

    it("checks the Istio and Gateway API CRD schemas, required fields included", () => {
        assert.strictEqual(problemOf("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: n, namespace: a}\nspec: {action: PERMIT}"),
            'spec.action: must be one of "ALLOW", "DENY", "AUDIT", "CUSTOM", found a string "PERMIT"');
        assert.strictEqual(problemOf("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: a}\nspec: {rules: [{backendRefs: [{port: 80}]}]}"),
            "spec.rules[0].backendRefs[0].name: required field is missing");
    });

    it("does not require the fields of built-in workloads that trimmed snapshots leave out, but checks every field given", () => {
        assert.strictEqual(problemOf("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{}]}"), undefined);
        assert.strictEqual(problemOf("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, ports: [{containerport: 80}]}]}"),
            "spec.containers[0].ports[0].containerport: unknown field (the schema has no such field; check its spelling and indentation)");
    });
});

describe("input validation: the API server's own checks", () => {
    const policy = (spec: string) => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n, namespace: a}\nspec: ${spec}`;
    const checks: Array<[string, string, string]> = [
        ["endPort below port", policy("{podSelector: {}, egress: [{ports: [{port: 90, endPort: 80}]}]}"), "spec.egress[0].ports[0].endPort: must be a port number from port (90) to 65535, found 80"],
        ["a port out of range", policy("{podSelector: {}, ingress: [{ports: [{port: 70000}]}]}"), "spec.ingress[0].ports[0].port: must be a port number 1-65535, found 70000"],
        ["an unknown protocol", policy("{podSelector: {}, ingress: [{ports: [{protocol: ICMP}]}]}"), 'spec.ingress[0].ports[0].protocol: must be TCP, UDP or SCTP, found "ICMP"'],
        ["an unknown policy type", policy("{podSelector: {}, policyTypes: [Inbound]}"), 'spec.policyTypes[0]: must be Ingress or Egress, found "Inbound"'],
        ["In without values", policy("{podSelector: {matchExpressions: [{key: app, operator: In}]}}"), "spec.podSelector.matchExpressions[0].values: must be non-empty when operator is In"],
        ["an unknown operator", policy("{podSelector: {matchExpressions: [{key: app, operator: Equals, values: [a]}]}}"), 'spec.podSelector.matchExpressions[0].operator: must be In, NotIn, Exists or DoesNotExist, found "Equals"'],
        ["an ipBlock beside a podSelector", policy("{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}"), "spec.ingress[0].from[0]: an ipBlock may not be combined with podSelector or namespaceSelector; make them separate peers"],
        ["an except outside its cidr", policy("{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]}"), "spec.ingress[0].from[0].ipBlock.except[0]: 11.0.0.0/16 must lie strictly inside cidr 10.0.0.0/8"],
        ["a malformed cidr", policy("{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}"), 'spec.ingress[0].from[0].ipBlock.cidr: "10.0.0.0/33" is not a CIDR (IPv4 a.b.c.d/n or IPv6 x:y::z/n)'],
        ["an invalid label value", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {team: 'a b'}}", 'metadata.labels: label value "a b" must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit'],
        ["a selector that does not select its template",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: a}\nspec: {selector: {matchLabels: {app: api}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}}",
            "spec.selector: selects app=api, which spec.template.metadata.labels does not have; the selector must match the template's labels"],
        ["a container port out of range", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, ports: [{containerPort: 0}]}]}", "spec.containers[0].ports[0].containerPort: must be a port number 1-65535, found 0"],
    ];
    for (const [what, yaml, problem] of checks) {
        it(`refuses ${what}`, () => assert.strictEqual(problemOf(yaml), problem));
    }
    it("accepts an IPv6 ipBlock", () => assert.strictEqual(problemOf(policy("{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 'fd00::/8', except: ['fd00::/16']}}]}]}")), undefined));
});

describe("input validation: Istio's checks (pkg/config/validation)", () => {
    const authz = (spec: string) => `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: n, namespace: a}\nspec: ${spec}`;
    const checks: Array<[string, string, string]> = [
        ["a from without source", authz("{rules: [{from: [{source: null}]}]}"), "spec.rules[0].from[0].source: must not be nil (give a source, or drop this from entry)"],
        ["an empty source", authz("{rules: [{from: [{source: {principals: []}}]}]}"), "spec.rules[0].from[0].source: must not be empty (set at least one of principals, notPrincipals, requestPrincipals, notRequestPrincipals, namespaces, notNamespaces, ...)"],
        ["an empty value", authz("{rules: [{from: [{source: {namespaces: ['']}}]}]}"), "spec.rules[0].from[0].source.namespaces: empty value not allowed"],
        ["an operation that sets nothing", authz("{rules: [{to: [{operation: {ports: null}}]}]}"), "spec.rules[0].to[0].operation: must not be empty (set at least one of hosts, notHosts, ports, notPorts, methods, notMethods, paths, notPaths)"],
        ["a port that is no number", authz("{rules: [{to: [{operation: {ports: [http]}}]}]}"), 'spec.rules[0].to[0].operation.ports[0]: "http" is not a port number 0-65535'],
        ["a bad ipBlock", authz("{rules: [{from: [{source: {ipBlocks: [10.0.0.300]}}]}]}"), 'spec.rules[0].from[0].source.ipBlocks[0]: "10.0.0.300" is not a CIDR (IPv4 a.b.c.d/n or IPv6 x:y::z/n)'],
        ["a condition without values", authz("{rules: [{when: [{key: source.namespace}]}]}"), "spec.rules[0].when[0]: at least one of values or notValues must be set for key source.namespace"],
        ["an unknown condition key", authz("{rules: [{when: [{key: source.name, values: [a]}]}]}"), 'spec.rules[0].when[0].key: unknown attribute "source.name"'],
        ["a destination.port condition that is no port", authz("{rules: [{when: [{key: destination.port, values: ['65536']}]}]}"), 'spec.rules[0].when[0].values[0]: "65536" is not a port number 0-65535'],
        ["CUSTOM without a provider", authz("{action: CUSTOM, rules: [{}]}"), "spec.provider.name: must be set for the CUSTOM action (an extension provider of the mesh config)"],
        ["CUSTOM with a provider without a name", authz("{action: CUSTOM, provider: {}, rules: [{}]}"), "spec.provider.name: must be set for the CUSTOM action (an extension provider of the mesh config)"],
        // What istiod 1.30.3 refuses (pkg/config/validation ValidateAuthorizationPolicy, pkg/config/security) and the CRD does not.
        ["DENY without rules", authz("{action: DENY}"), "spec.rules: a DENY policy without rules never applies, so istiod refuses it; add an empty rule (rules: [{}]) to apply it to every request"],
        ["DENY with an empty rules list (read as none)", authz("{action: DENY, rules: []}"), "spec.rules: a DENY policy without rules never applies, so istiod refuses it; add an empty rule (rules: [{}]) to apply it to every request"],
        ["CUSTOM without rules", authz("{action: CUSTOM, provider: {name: ext}}"), "spec.rules: a CUSTOM policy without rules never applies, so istiod refuses it; add an empty rule (rules: [{}]) to apply it to every request"],
        ["CUSTOM matching on the peer identity", authz("{action: CUSTOM, provider: {name: ext}, rules: [{from: [{source: {ipBlocks: [10.0.0.0/8], principals: [a]}}]}]}"),
            "spec.rules[0].from[0].source.principals: not supported with the CUSTOM action; match on ipBlocks or remoteIpBlocks, or let the external authorizer check identities"],
        ["CUSTOM with an identity condition", authz("{action: CUSTOM, provider: {name: ext}, rules: [{when: [{key: 'request.auth.claims[iss]', values: [a]}]}]}"),
            "spec.rules[0].when[0].key: request.auth.claims[iss] is not supported with the CUSTOM action"],
        // The CRD's CEL rule refuses it first, as the API server does before Istio's webhook sees it.
        ["serviceAccounts beside namespaces", authz("{rules: [{from: [{source: {serviceAccounts: [a/b], notNamespaces: [c]}}]}]}"),
            "spec.rules[0].from[0].source: Cannot set serviceAccounts with namespaces or principals, found a mapping"],
        ["a service account with a wildcard", authz("{rules: [{from: [{source: {serviceAccounts: ['a/*']}}]}]}"),
            'spec.rules[0].from[0].source.serviceAccounts[0]: "a/*": wildcards are not allowed in service accounts; name each one'],
        ["a service account with two slashes", authz("{rules: [{from: [{source: {notServiceAccounts: [a/b/c]}}]}]}"),
            'spec.rules[0].from[0].source.notServiceAccounts[0]: "a/b/c" must be serviceAccount or namespace/serviceAccount'],
        ["a service account with an empty namespace", authz("{rules: [{from: [{source: {serviceAccounts: [/b]}}]}]}"),
            'spec.rules[0].from[0].source.serviceAccounts[0]: "/b" must be serviceAccount or namespace/serviceAccount'],
        ["a trust domain with a wildcard inside", authz("{rules: [{from: [{source: {trustDomains: ['a*b.org']}}]}]}"),
            'spec.rules[0].from[0].source.trustDomains[0]: "a*b.org" has a wildcard inside; Istio allows one only at the start or the end'],
        ["a trust domain with a slash", authz("{rules: [{from: [{source: {notTrustDomains: [a.org/ns]}}]}]}"),
            'spec.rules[0].from[0].source.notTrustDomains[0]: "a.org/ns": a trust domain has no "/"'],
        ["{**} before another template segment", authz("{rules: [{to: [{operation: {paths: ['/a/{**}/{*}']}}]}]}"),
            'spec.rules[0].to[0].operation.paths[0]: "/a/{**}/{*}": {**} must be the last segment of a path template'],
        ["a brace outside a template segment", authz("{rules: [{to: [{operation: {notPaths: ['/a/{id}']}}]}]}"),
            'spec.rules[0].to[0].operation.notPaths[0]: "/a/{id}": "{" and "}" may only make up a whole {*} or {**} segment'],
        ["a template with a segment that is no literal", authz("{rules: [{to: [{operation: {paths: ['/a b/{*}']}}]}]}"),
            'spec.rules[0].to[0].operation.paths[0]: "/a b/{*}": segment "a b" of a path template may hold only letters, digits and -._~%!$&\'()+,;:@='],
        ["an empty condition value", authz("{rules: [{when: [{key: 'request.headers[x]', values: [a, '']}]}]}"), "spec.rules[0].when[0].values[1]: empty value not allowed"],
        ["a condition on the destination's namespace", authz("{rules: [{when: [{key: destination.namespace, values: [a]}]}]}"),
            "spec.rules[0].when[0].key: destination.namespace is replaced by the policy's metadata.namespace"],
        ["a header condition without a name", authz("{rules: [{when: [{key: request.headers, values: [a]}]}]}"), 'spec.rules[0].when[0].key: unknown attribute "request.headers"'],
        ["a source.serviceAccount condition with a wildcard", authz("{rules: [{when: [{key: source.serviceAccount, notValues: ['*']}]}]}"),
            'spec.rules[0].when[0].notValues[0]: "*": wildcards are not allowed in service accounts; name each one'],
        ["a targetRef to a Deployment", authz("{targetRefs: [{group: apps, kind: Deployment, name: web}]}"),
            'spec.targetRefs[0]: must name a Service (group ""), a networking.istio.io ServiceEntry, or a gateway.networking.k8s.io Gateway or GatewayClass, found "apps"/Deployment'],
        ["a dry run of a CUSTOM policy", "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: n, namespace: a, annotations: {istio.io/dry-run: 'true'}}\nspec: {action: CUSTOM, provider: {name: ext}, rules: [{}]}",
            'metadata.annotations["istio.io/dry-run"]: only ALLOW and DENY policies may be a dry run, found action CUSTOM'],
        ["a dry-run annotation that is no boolean", "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: n, namespace: a, annotations: {istio.io/dry-run: 'yes'}}\nspec: {}",
            'metadata.annotations["istio.io/dry-run"]: must be "true" or "false", found "yes"'],
        ["a dry run of a PeerAuthentication", "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p, namespace: a, annotations: {istio.io/dry-run: 'true'}}\nspec: {}",
            'metadata.annotations["istio.io/dry-run"]: only an AuthorizationPolicy may be a dry run; remove the annotation'],
        ["istiod's own annotation", "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s, namespace: a, annotations: {internal.istio.io/parent-namespace: b}}\nspec: {}",
            'metadata.annotations["internal.istio.io/parent-namespace"]: is istiod\'s own annotation, which istiod refuses on objects users write; remove it'],
        // The CRD's CEL rule refuses it first, as the API server does before Istio's webhook sees it.
        ["port-level mTLS without a selector", "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p, namespace: a}\nspec: {portLevelMtls: {'8080': {mode: DISABLE}}}",
            "spec: portLevelMtls requires selector, found a mapping"],
        ["a Sidecar egress host without namespace", "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s, namespace: a}\nspec: {egress: [{hosts: [api.example.com]}]}",
            'spec.egress[0].hosts[0]: "api.example.com" must be namespace/dnsName, e.g. ./*, istio-system/*, */api.example.com'],
    ];
    for (const [what, yaml, problem] of checks) {
        it(`refuses ${what}`, () => assert.strictEqual(problemOf(yaml), problem));
    }
    it("accepts from: [] and when conditions Istio knows", () => {
        assert.strictEqual(problemOf(authz("{rules: [{from: [], when: [{key: 'request.headers[x-user]', values: [a]}, {key: source.ip, notValues: ['10.0.0.0/8', '::1']}]}]}")), undefined);
    });
    it("accepts what istiod accepts: trust domains, service accounts, path templates, port 0, a dry run, ALLOW and AUDIT without rules", () => {
        for (const spec of [
            "{rules: [{from: [{source: {trustDomains: ['*.example.org', cluster.local]}}, {source: {serviceAccounts: [web, shop/api]}}]}]}",
            "{rules: [{when: [{key: source.trustDomain, values: ['*']}, {key: source.serviceAccount, values: [shop/web]}]}]}",
            "{rules: [{to: [{operation: {paths: ['/api/{*}/items/{**}', '/static/*'], notPorts: ['0']}}]}]}",
            "{action: DENY, rules: [{}]}", "{action: AUDIT}", "{}",
            "{targetRefs: [{kind: Service, name: web}, {group: networking.istio.io, kind: ServiceEntry, name: ext}]}",
        ]) {
            assert.strictEqual(problemOf(authz(spec)), undefined, spec);
        }
        assert.strictEqual(problemOf("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: n, namespace: a, annotations: {istio.io/dry-run: 'True'}}\nspec: {action: DENY, rules: [{}]}"), undefined);
    });
});

describe("input validation: Calico's checks (libcalico-go validator)", () => {
    const gnp = (spec: string) => `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: ${spec}`;
    const checks: Array<[string, string, string]> = [
        ["a selector that does not parse", gnp("{selector: 'app =='}"), /^spec\.selector: invalid Calico selector "app =="/.source],
        ["ports without a protocol", gnp("{ingress: [{action: Allow, destination: {ports: [80]}}]}"), /^spec\.ingress\[0\]\.destination: ports and notPorts need the rule's protocol to be TCP, UDP, SCTP or UDPLite, found no protocol$/.source],
        ["icmp with TCP", gnp("{egress: [{action: Allow, protocol: TCP, icmp: {type: 8}}]}"), /^spec\.egress\[0\]: icmp and notICMP need the rule's protocol to be ICMP or ICMPv6, found "TCP"$/.source],
        ["a port range downwards", gnp("{ingress: [{action: Allow, protocol: TCP, destination: {ports: ['90:80']}}]}"), /^spec\.ingress\[0\]\.destination\.ports\[0\]: "90:80" is not a port range first:last within 1-65535$/.source],
        ["a net that is no CIDR", gnp("{ingress: [{action: Deny, source: {nets: [10.0.0.0/40]}}]}"), /^spec\.ingress\[0\]\.source\.nets\[0\]: "10\.0\.0\.0\/40" is not a CIDR/.source],
        ["a rule without action (CRD schema)", gnp("{ingress: [{protocol: TCP}]}"), /^spec\.ingress\[0\]\.action: required field is missing$/.source],
    ];
    for (const [what, yaml, pattern] of checks) {
        it(`refuses ${what}`, () => assert.match(problemOf(yaml) ?? "(valid)", new RegExp(pattern)));
    }
});

describe("input validation: upstream conformance inputs", () => {
    const inputs = (set: string) => fs.readdirSync(path.join(conformanceRoot, set)).sort().map((name) => [name, path.join(conformanceRoot, set, name, "input")]);

    it("every nca/ input and every netpol/ input but one is valid", () => {
        const refused = [...inputs("nca"), ...inputs("netpol")].flatMap(([name, input]) => {
            try {
                readManifests([input], () => undefined);
                return [];
            } catch (error) {
                return [`${name}: ${(error as Error).message.slice(input.length + 1)}`];
            }
        });
        // netpol-analyzer's netpol_named_port_test misspells containerPort as `containerport`: the
        // API server refuses the Deployment (unknown field, kubectl's strict field validation), so
        // does `ztmesh reach`. The netpol conformance test still evaluates it through loadManifests.
        assert.deepStrictEqual(refused, [
            "netpol_named_port_test: pods.yaml: Deployment helloworld/pod-a: spec.template.spec.containers[0].ports[1].containerport: unknown field (the schema has no such field; check its spelling and indentation)",
        ]);
    });

    it("every nca-invalid/ object is refused at the field its reason.txt names", () => {
        const fields: Record<string, string> = {
            "calico-namespaced-policy-namespace-selector": "spec.namespaceSelector: unknown field",
            "istio-operation-null": "spec.rules[0].to[0].operation: must not be nil",
            "istio-operation-ports-null": "spec.rules[0].to[0].operation: must not be empty",
            "istio-source-empty": "spec.rules[0].from[0].source: must not be empty",
            "istio-source-empty-2": "spec.rules[0].from[0].source: must not be empty",
            "istio-when-empty-values": "spec.rules[0].when[0]: at least one of values or notValues must be set for key source.namespace",
            "istio-when-no-values": "spec.rules[0].when[0]: at least one of values or notValues must be set for key source.namespace",
        };
        for (const [name, input] of inputs("nca-invalid")) {
            const object = fs.readFileSync(path.join(input, "..", "reason.txt"), "utf8").split(":")[0].trim();
            assert.throws(() => readManifests([input], () => undefined), (error: Error) => error.message.includes(`${object}: ${fields[name]}`), name);
        }
    });

    it("validates 10,000 objects quickly (each kind's schema compiled once, on first use)", () => {
        const objects = syntheticCluster(5000);
        const cpu = process.cpuUsage();
        const problems = objects.map((object) => objectProblem(object)).filter((problem) => problem !== undefined);
        const used = process.cpuUsage(cpu);
        const ms = (used.user + used.system) / 1000;
        assert.deepStrictEqual(problems, []);
        assert.ok(objects.length >= 10000, `${objects.length} objects`);
        // CPU time, not wall time, so that a busy machine does not fail it: about 0.5 s for the
        // 11,001 objects in a fresh process, compilation included, on 2 cores shared with other work.
        assert.ok(ms < 1500, `${Math.round(ms)} ms CPU`);
    });
});

describe("pods of one owner whose labels differ", () => {
    const pods = (second: string) => [
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: shop, labels: {app: web, version: v1}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d9, uid: u, controller: true}]}\nspec: {containers: [{name: c, image: x}]}",
        `apiVersion: v1\nkind: Pod\nmetadata: {name: web-2, namespace: shop, labels: {app: web, version: ${second}}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d9, uid: u, controller: true}]}\nspec: {containers: [{name: c, image: x}]}`,
    ].join("\n---\n");
    const policy = (selector: string) => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: v2-only, namespace: shop}\nspec: {podSelector: ${selector}, ingress: [{ports: [{port: 8080}]}]}`;
    const flows = (yaml: string) => formatFlows(reachability(parseManifests(yaml, "cluster.yaml")));

    it("refuses a policy that selects one pod but not the other, naming both pods and the selector", () => {
        assert.throws(() => flows(`${pods("v2")}\n---\n${policy("{matchLabels: {version: v2}}")}`), {
            message: "pods shop/web-2 and shop/web-1 of shop/web-5d9[ReplicaSet] have different labels, and NetworkPolicy shop/v2-only spec.podSelector selects web-2 but not web-1; "
                + "the pods of one owner are analysed as one workload, so give them the labels the policies select alike, or list them without their owner reference to analyse each pod on its own",
        });
    });

    it("refuses a Calico rule selector and an Istio selector that tell them apart", () => {
        const calico = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {ingress: [{action: Allow, source: {selector: version == 'v1'}}]}";
        assert.throws(() => flows(`${pods("v2")}\n---\n${calico}`), /GlobalNetworkPolicy g spec\.ingress\[0\]\.source\.selector selects web-1 but not web-2/);
        const istio = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a, namespace: shop}\nspec: {selector: {matchLabels: {version: v2}}}";
        assert.throws(() => flows(`${pods("v2")}\n---\n${istio}`), /AuthorizationPolicy shop\/a spec\.selector selects web-2 but not web-1/);
    });

    it("refuses a ClusterNetworkPolicy subject or peer that tells them apart", () => {
        const cnp = (field: string) => `apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: c}\nspec: {tier: Admin, priority: 1, ${field}}`;
        const v2 = "{pods: {podSelector: {matchLabels: {version: v2}}}}";
        assert.throws(() => flows(`${pods("v2")}\n---\n${cnp(`subject: ${v2}, ingress: [{action: Deny, from: [{namespaces: {}}]}]`)}`), /ClusterNetworkPolicy c spec\.subject\.pods\.podSelector selects web-2 but not web-1/);
        assert.throws(() => flows(`${pods("v2")}\n---\n${cnp(`subject: {namespaces: {}}, egress: [{action: Deny, to: [${v2}]}]`)}`), /ClusterNetworkPolicy c spec\.egress\[0\]\.to\[0\]\.pods\.podSelector selects web-2 but not web-1/);
    });

    it("analyses them as one workload when every selector takes them alike", () => {
        assert.strictEqual(flows(`${pods("v2")}\n---\n${policy("{matchLabels: {app: web}}")}`),
            "0.0.0.0-255.255.255.255[External] => shop/web-5d9[ReplicaSet] : TCP 8080\nshop/web-5d9[ReplicaSet] => 0.0.0.0-255.255.255.255[External] : All Connections\n");
    });

    it("exits 2 on the command line", async () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-owner-"));
        try {
            fs.writeFileSync(path.join(folder, "cluster.yaml"), `${pods("v2")}\n---\n${policy("{matchLabels: {version: v2}}")}`);
            let stderr = "";
            const code = await main(["reach", folder], { stdout: () => undefined, stderr: (text) => { stderr += text; } });
            assert.strictEqual(code, 2);
            assert.match(stderr, /^ztmesh reach: pods shop\/web-2 and shop\/web-1 of shop\/web-5d9\[ReplicaSet\] have different labels/);
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });
});
