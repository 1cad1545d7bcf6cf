import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../analysis/cli";
import { CelRule, escapedPropertyName, rulesKeyword } from "../../analysis/schema/cel/celValue";
import { schemaRulesProblem } from "../../analysis/schema/cel/celProblem";
import { compile, rulesNotEvaluated } from "../../analysis/schema/cel/compiledRules";
import { schemas } from "../../analysis/schema/generatedSchemas";
import { objectProblem } from "../../analysis/schema/validate";
import { renderedStackObjects } from "../harness/renderedStacks";
import { projectRoot } from "../harness/stackConfig";

/**
 * The CRDs' CEL validation rules (x-kubernetes-validations): an object the API server refuses
 * for one of them is refused by `ztmesh reach` too, naming the file, the object, the field and
 * the rule's message; objects that pass them still pass.
 */

const cluster = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
    + "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: c, image: x}]}\n";

const gateway = (listeners: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: shop}
spec:
  gatewayClassName: istio
  listeners:
${listeners}`;

const route = (match: string, parentRefs = "[{name: gw}]") => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: shop}
spec:
  parentRefs: ${parentRefs}
  hostnames: [a.example.com]
  rules:
  - matches: [${match}]
    backendRefs: [{name: web, port: 80}]
`;

const globalPolicy = (spec: string) => `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: host-ingress}
spec: ${spec}
`;

/** [what, the object that breaks a rule, the error after "file: "] */
const refused: Array<[string, string, string]> = [
    ["an HTTPRoute PathPrefix match without a leading slash (it became the public route http://a.example.comno-slash)",
        route("{path: {type: PathPrefix, value: no-slash}}"),
        "HTTPRoute shop/r: spec.rules[0].matches[0].path: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix'], found a mapping {\"type\":\"PathPrefix\",\"value\":\"no-slash\"}"],
    ["the same match with its type left to the CRD's default (PathPrefix)",
        route("{path: {value: no-slash}}"),
        "HTTPRoute shop/r: spec.rules[0].matches[0].path: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix'], found a mapping {\"value\":\"no-slash\"}"],
    ["two Gateway listeners of the same name",
        gateway("  - {name: http, port: 80, protocol: HTTP}\n  - {name: http, port: 8080, protocol: HTTP}\n"),
        "Gateway shop/gw: spec.listeners: Listener name must be unique within the Gateway"],
    ["a hostname on a TCP listener",
        gateway("  - {name: db, port: 5432, protocol: TCP, hostname: db.example.com}\n"),
        "Gateway shop/gw: spec.listeners: hostname must not be specified for protocols ['TCP', 'UDP']"],
    ["two parentRefs to one Gateway, in the same namespace, only one with a sectionName (the rule reads p.__namespace__)",
        route("{path: {type: PathPrefix, value: /}}", "[{name: gw, namespace: shop}, {name: gw, namespace: shop, sectionName: http}]"),
        "HTTPRoute shop/r: spec.parentRefs: sectionName must be specified when parentRefs includes 2 or more references to the same parent"],
    ["an Istio ServiceEntry for the host *",
        "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: any, namespace: shop}\nspec: {hosts: ['*'], ports: [{number: 443, name: tls, protocol: TLS}], resolution: NONE}\n",
        "ServiceEntry shop/any: spec.hosts[0]: hostname cannot be wildcard, found a string \"*\""],
    ["an Istio Sidecar timeout under a millisecond (a duration rule)",
        "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s, namespace: shop}\nspec: {inboundConnectionPool: {tcp: {connectTimeout: 500us}}}\n",
        "Sidecar shop/s: spec.inboundConnectionPool.tcp.connectTimeout: must be a valid duration greater than 1ms, found a string \"500us\""],
    ["an AuthorizationPolicy with both a selector and a targetRef",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec: {selector: {matchLabels: {app: web}}, targetRef: {kind: Service, group: '', name: web}}\n",
        "AuthorizationPolicy shop/p: spec: only one of targetRefs or selector can be set, found a mapping"],
    ["a PeerAuthentication port 0 (a rule reading int(key) of a map)",
        "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p, namespace: shop}\nspec: {selector: {matchLabels: {app: web}}, portLevelMtls: {'0': {mode: DISABLE}}}\n",
        "PeerAuthentication shop/p: spec.portLevelMtls: port must be between 1-65535, found a mapping {\"0\":{\"mode\":\"DISABLE\"}}"],
    ["a RequestAuthentication jwksUri that is not http(s) (the Kubernetes URL library)",
        "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec: {jwtRules: [{issuer: me, jwksUri: 'ftp://keys.example.com/jwks.json'}]}\n",
        "RequestAuthentication shop/jwt: spec.jwtRules[0].jwksUri: url must have scheme http:// or https://, found a string \"ftp://keys.example.com/jwks.json\""],
    ["a jwksUri that is no URL at all: the URL library's error, and the rule",
        "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec: {jwtRules: [{issuer: me, jwksUri: keys.example.com}]}\n",
        "RequestAuthentication shop/jwt: spec.jwtRules[0].jwksUri: URL parse error during conversion from string: parse \"keys.example.com\": invalid URI for request evaluating rule: url(self).getScheme() in [\"http\", \"https\"], found a string \"keys.example.com\""],
    ["a Calico preDNAT policy with egress rules (projectcalico.org/v3)",
        globalPolicy("{preDNAT: true, applyOnForward: true, selector: has(host), types: [Ingress, Egress], egress: [{action: Allow}]}"),
        "GlobalNetworkPolicy host-ingress: spec: Forbidden: preDNAT policy cannot have any egress rules, found a mapping"],
    ["a Calico HTTP match on a Deny rule (crd.projectcalico.org/v1)",
        "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec: {selector: all(), ingress: [{action: Deny, http: {methods: [GET]}}]}\n",
        "NetworkPolicy shop/p: spec.ingress[0]: Forbidden: HTTP match is only valid on Allow rules, found a mapping"],
];

/** Objects of every kind above that pass their rules. */
const valid = [
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: istio}\nspec: {controllerName: istio.io/gateway-controller}\n",
    gateway("  - {name: http, port: 80, protocol: HTTP, hostname: a.example.com}\n  - {name: db, port: 5432, protocol: TCP}\n  - {name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: cert}]}}\n"),
    route("{path: {type: PathPrefix, value: /api}}, {path: {value: /}}", "[{name: gw, namespace: shop, sectionName: http}, {name: gw, namespace: shop, sectionName: https}]"),
    "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: api, namespace: shop}\nspec: {hosts: [api.example.com], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}\n",
    "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s, namespace: shop}\nspec: {inboundConnectionPool: {tcp: {connectTimeout: 1s}}}\n",
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec: {selector: {matchLabels: {app: web}}, rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]}]}\n",
    "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p, namespace: shop}\nspec: {selector: {matchLabels: {app: web}}, mtls: {mode: STRICT}, portLevelMtls: {'8080': {mode: PERMISSIVE}}}\n",
    "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec: {jwtRules: [{issuer: me, jwksUri: 'https://keys.example.com/jwks.json'}]}\n",
    globalPolicy("{preDNAT: true, applyOnForward: true, selector: has(host), types: [Ingress], ingress: [{action: Allow}]}"),
    "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec: {selector: all(), ingress: [{action: Allow, protocol: TCP, http: {methods: [GET]}}]}\n",
];

describe("ztmesh reach: the CRDs' CEL validation rules", () => {
    let folder: string;
    beforeEach(() => { folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-cel-")); });
    afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

    async function reachWith(objects: string): Promise<{ code: number; stdout: string; stderr: string; file: string }> {
        fs.writeFileSync(path.join(folder, "cluster.yaml"), cluster);
        const file = path.join(folder, "objects.yaml");
        fs.writeFileSync(file, objects);
        let stdout = "";
        let stderr = "";
        const code = await main(["reach", folder], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
        return { code, stdout, stderr, file };
    }

    for (const [what, yaml, message] of refused) {
        it(`refuses ${what}: exit 2, naming the file, object, field and the rule's message`, async () => {
            const result = await reachWith(yaml);
            assert.strictEqual(result.stderr, `ztmesh reach: ${result.file}: ${message}\n`);
            assert.strictEqual(result.code, 2);
            assert.strictEqual(result.stdout, "");
        });
    }

    it("accepts objects of each of those kinds that pass their rules", async () => {
        const result = await reachWith(valid.join("---\n"));
        assert.strictEqual(result.stderr, "");
        assert.strictEqual(result.code, 0);
    });

    for (const stack of ["dev", "prod", "ambient"] as const) {
        it(`accepts every custom resource the ${stack} stack renders`, async () => {
            const objects = (await renderedStackObjects(stack)).filter((object) => schemas.kinds[`${object.apiVersion}/${object.kind}`] !== undefined);
            const withRules = objects.filter((object) => /gateway\.networking|istio\.io|projectcalico/.test(String(object.apiVersion)));
            assert.ok(withRules.length >= 5, `custom resources with CEL rules: ${withRules.length}`);
            assert.deepStrictEqual(objects.map((object) => objectProblem(object)).filter((problem) => problem !== undefined), []);
        });
    }
});

describe("the CRDs' CEL rules in the generated schemas", () => {
    /** Every rule of the generated schemas, with where it is. */
    function allRules(): Array<{ rule: CelRule; where: string }> {
        const found: Array<{ rule: CelRule; where: string }> = [];
        const visit = (schema: unknown, where: string): void => {
            if (typeof schema !== "object" || schema === null) {
                return;
            }
            for (const rule of ((schema as Record<string, unknown>)[rulesKeyword] ?? []) as CelRule[]) {
                found.push({ rule, where });
            }
            for (const [keyword, child] of Object.entries(schema)) {
                if (keyword !== rulesKeyword) {
                    visit(child, `${where}/${keyword}`);
                }
            }
        };
        for (const [id, definition] of Object.entries(schemas.definitions)) {
            visit(definition, id);
        }
        return found;
    }

    it("are kept, for every group whose CRDs have them", () => {
        const groups = new Set(allRules().map(({ where }) => where.split(".v")[0]));
        for (const group of ["gateway.networking.k8s.io", "networking.istio.io", "security.istio.io", "projectcalico.org", "crd.projectcalico.org"]) {
            assert.ok(groups.has(group), `${group} in ${[...groups].join(", ")}`);
        }
    });

    it("all compile, except the transition rules listed in rulesNotEvaluated (with the reason)", () => {
        const failures = allRules().map(({ rule, where }) => ({ where, rule: rule.rule, compiled: compile(rule.rule) }))
            .filter(({ compiled }) => typeof compiled !== "function");
        assert.deepStrictEqual(failures.filter(({ compiled }) => compiled instanceof Error).map(({ where, rule, compiled }) => `${where}: ${rule}: ${String(compiled)}`), []);
        assert.deepStrictEqual([...new Set(failures.map(({ rule }) => rule))], rulesNotEvaluated.map(({ rule }) => rule));
        for (const entry of rulesNotEvaluated) {
            assert.ok(entry.reason.length > 20 && entry.where.length > 0, entry.rule);
        }
    });

    it("evaluate nothing, and load no CEL library, for a kind without rules", () => {
        const script = [
            "const { objectProblem } = require('./analysis/schema/validate');",
            "const problems = [",
            "  objectProblem({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } }),",
            "  objectProblem({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'n' }, spec: { podSelector: {} } }),",
            "];",
            "console.log(JSON.stringify({ problems, cel: Object.keys(require.cache).some((file) => file.includes('@bufbuild')) }));",
        ].join("\n");
        const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: projectRoot, encoding: "utf8" });
        assert.strictEqual(result.status, 0, result.stderr);
        assert.deepStrictEqual(JSON.parse(result.stdout), { problems: [null, null], cel: false });
    });

    it("escape property names as the API server does (namespace, dots, dashes, slashes, double underscores)", () => {
        assert.deepStrictEqual(["namespace", "in", "a.b-c/d", "__x", "name"].map(escapedPropertyName),
            ["__namespace__", "__in__", "a__dot__b__dash__c__slash__d", "__underscores__x", "name"]);
    });
});

describe("the Kubernetes CEL library functions written here", () => {
    const run = (expression: string, self: unknown): unknown => {
        const program = compile(expression);
        assert.strictEqual(typeof program, "function", String(program));
        return (program as (value: unknown) => unknown)(self);
    };

    it("isCIDR (the ClusterNetworkPolicy CRD's rule): IPv4 and IPv6 prefixes; no address alone, leading zero, zone or IPv4-mapped IPv6", () => {
        for (const cidr of ["10.0.0.0/8", "0.0.0.0/0", "192.168.1.1/32", "2001:db8::/32", "::/0"]) {
            assert.strictEqual(run("isCIDR(self)", cidr), true, cidr);
        }
        for (const text of ["10.0.0.1", "10.0.0.0/33", "010.0.0.0/8", "fe80::1%eth0/64", "::ffff:10.0.0.0/104", "2001:db8::/129", "a/8"]) {
            assert.strictEqual(run("isCIDR(self)", text), false, text);
        }
    });

    it("url(...).getScheme(): the scheme, lowercased; an absolute path has none; anything else is an error", () => {
        assert.strictEqual(run("url(self).getScheme()", "HTTPS://keys.example.com/jwks"), "https");
        assert.strictEqual(run("url(self).getScheme()", "/jwks"), "");
        assert.strictEqual(run("url(self).getScheme()", "urn:isbn:0451450523"), "urn");
        for (const text of ["keys.example.com/jwks", "https://a/%zz", "https://a/\x01"]) {
            assert.ok(run("url(self).getScheme()", text) instanceof Error, text);
        }
        assert.ok(run("'https://a'.getScheme() == 'https'", null) instanceof Error, "getScheme is a method of URL only");
    });
});

describe("CEL rules of any structural schema (the mechanism a new kind, e.g. ClusterNetworkPolicy, would use)", () => {
    const rules = (...list: CelRule[]) => ({ [rulesKeyword]: list });
    /** A cut of the ClusterNetworkPolicy CRD's spec, with a fieldPath and a messageExpression rule added. */
    const schema = {
        type: "object",
        properties: {
            spec: {
                type: "object",
                properties: {
                    priority: { type: "integer", default: 10 },
                    ranges: { type: "array", items: { type: "object", properties: { start: { type: "integer" }, end: { type: "integer" } }, ...rules({ rule: "self.start < self.end", message: "Start port must be less than End port" }) } },
                    networks: { type: "array", items: { type: "string", ...rules({ rule: "isCIDR(self)", message: "Invalid CIDR format provided" }) } },
                },
                ...rules(
                    { rule: "self.priority <= 1000", messageExpression: "'priority ' + string(self.priority) + ' is over 1000'", fieldPath: ".priority" },
                    { rule: "!has(self.ranges) || self.ranges.size() <= 2", message: "at most two ranges", fieldPath: ".ranges", reason: "FieldValueForbidden" },
                ),
            },
        },
    };
    const problem = (spec: object) => schemaRulesProblem({ spec }, schema, {});

    it("evaluates each rule at its node, with the defaults applied, naming its fieldPath, reason and messageExpression", () => {
        assert.strictEqual(problem({ ranges: [{ start: 80, end: 90 }], networks: ["10.0.0.0/8"] }), undefined);
        assert.strictEqual(problem({ ranges: [{ start: 80, end: 90 }, { start: 90, end: 80 }] }), "spec.ranges[1]: Start port must be less than End port, found a mapping {\"start\":90,\"end\":80}");
        assert.strictEqual(problem({ networks: ["10.0.0.0/8", "10.0.0.1"] }), "spec.networks[1]: Invalid CIDR format provided, found a string \"10.0.0.1\"");
        assert.strictEqual(problem({ priority: 1001 }), "spec.priority: priority 1001 is over 1000");
        assert.strictEqual(problem({ ranges: [{ start: 1, end: 2 }, { start: 1, end: 2 }, { start: 1, end: 2 }] }), "spec.ranges: Forbidden: at most two ranges");
    });

    it("refuses, naming the rule, what it cannot compile rather than accept it", () => {
        const broken = { type: "object", ...rules({ rule: "self.?a.orValue(1) == 1", message: "m" }) };
        const found = schemaRulesProblem({ a: 1 }, broken, {});
        assert.ok(found?.startsWith("the validation rule \"self.?a.orValue(1) == 1\" could not be compiled ("), found);
    });
});
