import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../analysis/cli";
import { formatFlows } from "../../analysis/flowFormat";
import { parseManifests } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";
import { objectProblem } from "../../analysis/schema/validate";
import { escapeControl } from "../../analysis/text/escape";
import { parse } from "yaml";

/**
 * Objects the API server, Calico or istiod would refuse, given to `ztmesh reach`: each must stop
 * the run with exit code 2 and one line naming the file, the object and the field, and print
 * no flow. Written from a review that fed the command hostile manifests.
 */

const namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: c, image: x}]}\n";

interface Run { code: number; stdout: string; stderr: string; folder: string }

let folder: string;
beforeEach(() => { folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-hostile-")); });
afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

/** Runs `ztmesh reach [options] folder` on the namespace and pod (cluster.yaml) and `files` (name → text). */
async function reach(files: Record<string, string>, options: string[] = []): Promise<Run> {
    fs.writeFileSync(path.join(folder, "cluster.yaml"), `${namespace}---\n${pod}`);
    for (const [name, text] of Object.entries(files)) {
        fs.writeFileSync(path.join(folder, name), text);
    }
    let stdout = "";
    let stderr = "";
    const code = await main(["reach", ...options, folder], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
    return { code, stdout, stderr, folder };
}

const deployment = (spec: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n${spec}`;
const template = "  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: c, image: x}]}\n";
const podWith = (spec: string, metadata = "{name: p, namespace: shop}") => `apiVersion: v1\nkind: Pod\nmetadata: ${metadata}\nspec: ${spec}\n`;
const service = (spec: string, name = "web") => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: shop}\nspec: ${spec}\n`;
const netpol = (spec: string) => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: shop}\nspec: ${spec}\n`;
const gnp = (spec: string) => `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: gnp}\nspec: ${spec}\n`;
const serviceEntry = (spec: string) => `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: se, namespace: shop}\nspec: ${spec}\n`;

/** (what, bad.yaml, the message after "file: ", from the object to the field and its problem). */
const refused: Array<[string, string, string]> = [
    // Names and namespaces (apimachinery ValidateObjectMeta with each kind's name rule).
    ["a Pod name forging a flow line", podWith("{containers: [{name: c}]}", '{name: "x => y : All Connections\\nfake", namespace: shop}'),
        'Pod shop/x => y : All Connections\\nfake: metadata.name: "x => y : All Connections\\nfake" is not a valid name; it must be a DNS-1123 subdomain'],
    ["a Pod name with a terminal escape sequence", podWith("{containers: [{name: c}]}", '{name: "\\e[2Jweb", namespace: shop}'),
        'Pod shop/\\x1b[2Jweb: metadata.name: "\\u001b[2Jweb" is not a valid name'],
    ["a namespace with a space", podWith("{containers: [{name: c}]}", '{name: p, namespace: "shop floor"}'),
        'Pod shop floor/p: metadata.namespace: "shop floor" is not a valid name; it must be a DNS-1123 label'],
    ["a Namespace named with a dot", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop.eu}\n",
        'Namespace shop.eu: metadata.name: "shop.eu" is not a valid name; it must be a DNS-1123 label'],
    ["a Service named with a dot", service("{ports: [{port: 80}]}", "web.v2"),
        'Service shop/web.v2: metadata.name: "web.v2" is not a valid name; it must be a DNS-1123 label'],
    ["a NetworkPolicy name with a slash", netpol("{podSelector: {}}").replace("name: np", 'name: "a/b"'),
        'NetworkPolicy shop/a/b: metadata.name: "a/b" is not a valid name; it must be a DNS-1123 subdomain'],
    ["a generateName with a space", podWith("{containers: [{name: c}]}", '{generateName: "web pod-", namespace: shop}'),
        'Pod shop/web pod-: metadata.generateName: "web pod-" is not a valid name'],
    ["a CronJob name longer than 52 characters",
        `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: ${"c".repeat(53)}, namespace: shop}\nspec: {schedule: "* * * * *", jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: x}]}}}}}\n`,
        `CronJob shop/${"c".repeat(53)}: metadata.name: must be no more than 52 characters for a CronJob`],
    ["a Calico ConfigMap-like kind outside the schemas with a bad name (WorkloadEndpoint)",
        "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: \"we\\nfake\", namespace: shop}\nspec: {}\n",
        'WorkloadEndpoint shop/we\\nfake: metadata.name: "we\\nfake" is not a valid name'],

    // Kinds a policy group does not serve: the API server answers "no matches for kind".
    ["kind NetworkPolicies", netpol("{podSelector: {}}").replace("kind: NetworkPolicy", "kind: NetworkPolicies"),
        'NetworkPolicies shop/np: kind: networking.k8s.io serves no kind "NetworkPolicies"; did you mean NetworkPolicy? (it serves IPAddress, Ingress, IngressClass, NetworkPolicy, ServiceCIDR)'],
    ["kind networkpolicy", netpol("{podSelector: {}}").replace("kind: NetworkPolicy", "kind: networkpolicy"),
        'networkpolicy shop/np: kind: networking.k8s.io serves no kind "networkpolicy"; did you mean NetworkPolicy?'],
    ["kind GlobalNetworkPolicies", gnp("{selector: all()}").replace("kind: GlobalNetworkPolicy", "kind: GlobalNetworkPolicies"),
        'GlobalNetworkPolicies gnp: kind: projectcalico.org serves no kind "GlobalNetworkPolicies"; did you mean GlobalNetworkPolicy?'],
    ["kind AuthorizationPolicies", "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicies\nmetadata: {name: deny, namespace: shop}\nspec: {}\n",
        'AuthorizationPolicies shop/deny: kind: security.istio.io serves no kind "AuthorizationPolicies"; did you mean AuthorizationPolicy? (it serves AuthorizationPolicy, PeerAuthentication, RequestAuthentication)'],
    ["kind NetworkPolicies without an apiVersion", "kind: NetworkPolicies\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}}\n",
        'NetworkPolicies shop/deny: kind: no API group serves a kind "NetworkPolicies"; did you mean NetworkPolicy?'],
    ["a kind no group of policy serves, without a near spelling", "apiVersion: crd.projectcalico.org/v1\nkind: DenyAll\nmetadata: {name: d}\nspec: {}\n",
        'DenyAll d: kind: crd.projectcalico.org serves no kind "DenyAll" (it serves BGPConfiguration,'],

    // Label selectors (metav1validation.ValidateLabelSelectorRequirement).
    ["a matchExpressions value that is no label value", netpol("{podSelector: {matchExpressions: [{key: app, operator: In, values: ['a b']}]}}"),
        'NetworkPolicy shop/np: spec.podSelector.matchExpressions[0].values[0]: label value "a b" must be at most 63'],
    ["In without values", netpol("{podSelector: {matchExpressions: [{key: app, operator: In, values: []}]}}"),
        "NetworkPolicy shop/np: spec.podSelector.matchExpressions[0].values: must be non-empty when operator is In"],
    ["Exists with values", netpol("{podSelector: {matchExpressions: [{key: app, operator: Exists, values: [web]}]}}"),
        "NetworkPolicy shop/np: spec.podSelector.matchExpressions[0].values: must be empty when operator is Exists"],

    // CIDRs (Go's net.ParseCIDR refuses zones).
    ["an IPv6 CIDR with a zone", netpol("{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 'fe80::1%eth0/64'}}]}]}"),
        'NetworkPolicy shop/np: spec.ingress[0].from[0].ipBlock.cidr: "fe80::1%eth0/64" has an IPv6 zone'],
    ["a Calico net with a zone", gnp("{selector: all(), ingress: [{action: Allow, source: {nets: ['fe80::1%eth0']}}]}"),
        'GlobalNetworkPolicy gnp: spec.ingress[0].source.nets[0]: "fe80::1%eth0" has an IPv6 zone'],

    // Services (core validation ValidateService).
    ["Service port 0", service("{ports: [{port: 0}]}"), "Service shop/web: spec.ports[0].port: must be a port number 1-65535, found 0"],
    ["two Service ports of one number and protocol", service("{ports: [{name: a, port: 80}, {name: b, port: 80}]}"),
        "Service shop/web: spec.ports[1]: duplicate port and protocol 80/TCP"],
    ["two Service ports of one name", service("{ports: [{name: http, port: 80}, {name: http, port: 81}]}"),
        'Service shop/web: spec.ports[1]: duplicate port name "http"'],
    ["unnamed ports of a Service with several", service("{ports: [{port: 80}, {port: 81}]}"),
        "Service shop/web: spec.ports[0].name: required when a Service has more than one port"],
    ["a Service selector with a bad label value", service("{selector: {app: 'a b'}, ports: [{port: 80}]}"),
        'Service shop/web: spec.selector: label value "a b" must be at most 63'],
    ["a Service targetPort name with a space", service("{ports: [{port: 80, targetPort: 'h p'}]}"),
        'Service shop/web: spec.ports[0].targetPort: must be a port number 1-65535 or a port name (IANA_SVC_NAME), found "h p"'],

    // Workloads (apps validation).
    ["a Deployment with an empty selector", deployment(`  selector: {}\n${template}`),
        "Deployment shop/api: spec.selector: empty selector is invalid for a Deployment"],
    ["a Deployment whose matchExpressions miss its template", deployment(`  selector: {matchExpressions: [{key: app, operator: In, values: [web]}]}\n${template}`),
        "Deployment shop/api: spec.selector: its matchExpressions do not select spec.template.metadata.labels"],
    ["a Deployment with replicas -1", deployment(`  replicas: -1\n  selector: {matchLabels: {app: api}}\n${template}`),
        "Deployment shop/api: spec.replicas: must be greater than or equal to 0, found -1"],
    ["a StatefulSet with an empty selector",
        `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\nspec:\n  serviceName: db\n  selector: {}\n${template}`,
        "StatefulSet shop/db: spec.selector: empty selector is invalid for a StatefulSet"],
    ["a Job whose selector misses its template",
        `apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: shop}\nspec:\n  manualSelector: true\n  selector: {matchLabels: {app: other}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {restartPolicy: Never, containers: [{name: c, image: x}]}\n`,
        "Job shop/j: spec.selector: selects app=other, which spec.template.metadata.labels does not have"],

    // Pods (core validation ValidatePodSpec).
    ["two ports of one name in a container", podWith("{containers: [{name: c, ports: [{name: http, containerPort: 80}, {name: http, containerPort: 81}]}]}"),
        'Pod shop/p: spec.containers[0].ports[1]: duplicate port name "http"'],
    ["a container name with a space", podWith("{containers: [{name: 'my app'}]}"),
        'Pod shop/p: spec.containers[0].name: "my app" must be a DNS-1123 label'],
    ["two containers of one name", podWith("{initContainers: [{name: c}], containers: [{name: c}]}"),
        'Pod shop/p: spec.containers[0].name: duplicate container name "c"'],
    ["a hostNetwork pod whose hostPort differs from its containerPort", podWith("{hostNetwork: true, containers: [{name: c, ports: [{containerPort: 80, hostPort: 8080}]}]}"),
        "Pod shop/p: spec.containers[0].ports[0].hostPort: must match containerPort (80) when hostNetwork is true, found 8080"],
    ["a negative hostPort", podWith("{containers: [{name: c, ports: [{containerPort: 80, hostPort: -1}]}]}"),
        "Pod shop/p: spec.containers[0].ports[0].hostPort: must be a port number 1-65535, found -1"],

    // NetworkPolicy ports.
    ["endPort below port", netpol("{podSelector: {}, ingress: [{ports: [{port: 9000, endPort: 8000}]}]}"),
        "NetworkPolicy shop/np: spec.ingress[0].ports[0].endPort: must be a port number from port (9000) to 65535, found 8000"],
    ["port 0", netpol("{podSelector: {}, ingress: [{ports: [{port: 0}]}]}"),
        "NetworkPolicy shop/np: spec.ingress[0].ports[0].port: must be a port number 1-65535, found 0"],

    // Calico (libcalico-go validator.go).
    ["a Calico port name <script>", gnp("{selector: all(), ingress: [{action: Allow, protocol: TCP, destination: {ports: ['<script>']}}]}"),
        'GlobalNetworkPolicy gnp: spec.ingress[0].destination.ports[0]: "<script>" is not a valid port name'],
    ["a Calico port \"80 90\"", gnp("{selector: all(), ingress: [{action: Allow, protocol: TCP, destination: {ports: ['80 90']}}]}"),
        'GlobalNetworkPolicy gnp: spec.ingress[0].destination.ports[0]: "80 90" is not a valid port name'],
    ["Calico protocol 300", gnp("{selector: all(), ingress: [{action: Allow, protocol: 300}]}"),
        "GlobalNetworkPolicy gnp: spec.ingress[0].protocol: protocol number 300 is not within 1-255"],
    ["Calico protocol 0", gnp("{selector: all(), ingress: [{action: Allow, protocol: 0}]}"),
        "GlobalNetworkPolicy gnp: spec.ingress[0].protocol: protocol number 0 is not within 1-255"],
    ["a Calico selector that does not parse", gnp("{selector: 'app == '}"),
        'GlobalNetworkPolicy gnp: spec.selector: invalid Calico selector "app == "'],

    // Istio (pkg/config/validation ValidateServiceEntry, ValidateWildcardDomain).
    ["a ServiceEntry host with a wildcard inside", serviceEntry("{hosts: [a.*.com], ports: [{number: 443, name: https, protocol: TLS}], resolution: DNS}"),
        'ServiceEntry shop/se: spec.hosts[0]: "a.*.com" is not a valid host'],
    ["a ServiceEntry port 0", serviceEntry("{hosts: [api.example.com], ports: [{number: 0, name: https, protocol: TLS}], resolution: DNS}"),
        // The CRD's CEL rule speaks first, as the API server runs it before Istio's webhook sees the object.
        "ServiceEntry shop/se: spec.ports[0].number: port must be between 1-65535, found a number 0"],
    ["an Istio Gateway server on port 0",
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\nspec: {selector: {istio: ingressgateway}, servers: [{port: {number: 0, name: http, protocol: HTTP}, hosts: ['*']}]}\n",
        "Gateway shop/gw: spec.servers[0].port.number: must be a port number 1-65535, found 0"],
    ["a Sidecar egress listener on port 70000",
        "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: sc, namespace: shop}\nspec: {egress: [{port: {number: 70000, name: http, protocol: HTTP}, hosts: ['./*']}]}\n",
        "Sidecar shop/sc: spec.egress[0].port.number: must be a port number 1-65535, found 70000"],
];

describe("hostile objects: ztmesh reach refuses what the cluster would refuse", () => {
    for (const [what, text, message] of refused) {
        it(`refuses ${what}`, async () => {
            const run = await reach({ "bad.yaml": text });
            const file = path.join(run.folder, "bad.yaml");
            assert.strictEqual(run.code, 2, run.stderr);
            assert.strictEqual(run.stdout, "", "no flow is printed");
            assert.strictEqual(run.stderr.split("\n").length, 2, `one line: ${run.stderr}`);
            assert.ok(run.stderr.startsWith(`ztmesh reach: ${file}: ${message}`), `${run.stderr}\nexpected the line to start with\nztmesh reach: ${file}: ${message}`);
            // eslint-style: no raw control character reaches the terminal.
            assert.doesNotMatch(run.stderr.slice(0, -1), /[\u0000-\u001f\u007f-\u009f]/);
        });
    }

    it("accepts what the API server accepts next to those: a Service name starting with a digit, IPPool, Telemetry, an RBAC name with a colon", async () => {
        const run = await reach({
            "ok.yaml": [
                service("{selector: {app: web}, ports: [{name: http, port: 80}, {name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53}]}", "1web"),
                "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool}\nspec: {cidr: 10.0.0.0/16}\n",
                "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: t, namespace: shop}\nspec: {}\n",
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'system:aggregate-to-admin'}\n",
            ].join("---\n"),
        });
        assert.strictEqual(run.code, 0, run.stderr);
        assert.strictEqual(run.stderr, "");
    });

    it("accepts a generateName ending in \"-\" (the generated suffix follows it)", () => {
        assert.strictEqual(objectProblem(parse(podWith("{containers: [{name: c}]}", "{generateName: web-, namespace: shop}"))), undefined);
        assert.match(objectProblem(parse(podWith("{containers: [{name: c}]}", "{generateName: -web-, namespace: shop}"))) ?? "", /^metadata\.generateName: "-web-" is not a valid name/);
    });

    it("evaluates a name that is only upper case or has \"_\" (as np-guard's cases write them), with a warning", async () => {
        const run = await reach({ "np.yaml": netpol("{podSelector: {}}").replace("name: np", "name: denyAll_ingress") });
        assert.strictEqual(run.code, 0, run.stderr);
        assert.strictEqual(run.stderr, `ztmesh reach: warning: ${path.join(run.folder, "np.yaml")}: NetworkPolicy shop/denyAll_ingress: metadata.name: "denyAll_ingress" has upper case letters or "_", which the API server refuses (it must be a DNS-1123 subdomain: at most 253 lower case letters, digits, "-" and ".", starting and ending with a letter or digit); evaluated as written\n`);
    });
});

describe("hostile objects: duplicates, which the cluster would keep one of", () => {
    it("refuses a second Pod of one namespace and name, naming both files", async () => {
        const run = await reach({ "more.yaml": pod });
        assert.strictEqual(run.code, 2, run.stderr);
        assert.strictEqual(run.stderr, `ztmesh reach: ${path.join(run.folder, "more.yaml")}: Pod shop/web: metadata.name: an object of this kind, namespace and name is already defined in ${path.join(run.folder, "cluster.yaml")}; the cluster keeps only one of them, so remove or rename one\n`);
        assert.strictEqual(run.stdout, "");
    });

    it("refuses a deny-all and an allow-all of one name in one file", async () => {
        const run = await reach({ "np.yaml": `${netpol("{podSelector: {}, policyTypes: [Ingress]}")}---\n${netpol("{podSelector: {}, ingress: [{}]}")}` });
        assert.strictEqual(run.code, 2, run.stderr);
        assert.match(run.stderr, /np\.yaml: NetworkPolicy shop\/np: metadata\.name: an object of this kind, namespace and name is already defined earlier in this file;/);
    });

    it("counts a Pod without a namespace as one in the default namespace", async () => {
        const run = await reach({ "a.yaml": podWith("{containers: [{name: c}]}", "{name: p}"), "b.yaml": podWith("{containers: [{name: c}]}", "{name: p, namespace: default}") });
        assert.strictEqual(run.code, 2, run.stderr);
        assert.match(run.stderr, /b\.yaml: Pod default\/p: metadata\.name: an object of this kind, namespace and name is already defined in .*a\.yaml;/);
    });

    it("keeps objects that differ in namespace, kind or API group (a Kubernetes and a Calico NetworkPolicy of one name)", async () => {
        const run = await reach({
            "ok.yaml": [
                podWith("{containers: [{name: c}]}", "{name: web, namespace: other}"),
                service("{ports: [{port: 80}]}"),
                netpol("{podSelector: {}}"),
                "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: np, namespace: shop}\nspec: {selector: all()}\n",
            ].join("---\n"),
        });
        assert.strictEqual(run.code, 0, run.stderr);
    });
});

describe("hostile objects: policies read but not evaluated are said so", () => {
    const anp = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: deny-all}\nspec: {priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n";
    const staged = "apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: try, namespace: shop}\nspec: {selector: all()}\n";

    it("warns on stderr, one line for each", async () => {
        const run = await reach({ "anp.yaml": anp, "staged.yaml": staged });
        assert.strictEqual(run.code, 0, run.stderr);
        assert.strictEqual(run.stderr, [
            `ztmesh reach: warning: ${path.join(run.folder, "anp.yaml")}: AdminNetworkPolicy deny-all: not evaluated: a cluster-wide policy of network-policy-api v1alpha1 the flows leave out (v1alpha2's ClusterNetworkPolicy, which replaces it, is evaluated): where the network plugin enforces it, it may deny what the flows show as allowed, or allow what they show as denied\n`,
            `ztmesh reach: warning: ${path.join(run.folder, "staged.yaml")}: StagedNetworkPolicy shop/try: not evaluated: a staged policy only reports what it would do and enforces nothing; the flows are what the enforced policies allow (--as-enforced evaluates it as the policy it stages)\n`,
        ].join(""));
    });

    it("lists them in the --json document, and leaves the document as it was without them", async () => {
        const withAnp = JSON.parse((await reach({ "anp.yaml": anp }, ["--json"])).stdout);
        assert.deepStrictEqual(withAnp.notEvaluated, [`${path.join(folder, "anp.yaml")}: AdminNetworkPolicy deny-all: not evaluated: a cluster-wide policy of network-policy-api v1alpha1 the flows leave out (v1alpha2's ClusterNetworkPolicy, which replaces it, is evaluated): where the network plugin enforces it, it may deny what the flows show as allowed, or allow what they show as denied`]);
        fs.rmSync(path.join(folder, "anp.yaml"));
        assert.deepStrictEqual(Object.keys(JSON.parse((await reach({}, ["--json"])).stdout)), ["flows"]);
    });

    it("lists them among the report's limits", async () => {
        const run = await reach({ "anp.yaml": anp }, ["--html"]);
        assert.strictEqual(run.code, 0, run.stderr);
        assert.match(run.stdout, /<li>Some policies in the manifests are not evaluated, so the flows leave them out: [^<]*AdminNetworkPolicy deny-all: not evaluated: a cluster-wide policy/);
    });
});

describe("hostile objects: names are escaped wherever they are printed", () => {
    it("escapes C0, DEL and C1 control characters as JSON does, without quotes, and keeps the rest", () => {
        assert.strictEqual(escapeControl("a\nb\r\t\b\f\u0000\u001b[31m\u007f\u0085 \\ \" é"), "a\\nb\\r\\t\\b\\f\\x00\\x1b[31m\\x7f\\x85 \\ \" é");
    });

    it("prints a flow of an object that escaped validation (read without it) on one line", () => {
        const objects = parseManifests(`${namespace}---\n${podWith("{containers: [{name: c}]}", '{name: "x => y : All Connections\\nfake", namespace: shop}')}---\n${pod}`, "cluster.yaml");
        const text = formatFlows(reachability(objects));
        assert.ok(text.length > 0);
        for (const line of text.split("\n").filter((line) => line !== "")) {
            assert.match(line, / => .* : /, `a forged line: ${JSON.stringify(line)}`);
        }
        assert.doesNotMatch(text, /^fake/m);
        assert.match(text, /x => y : All Connections\\nfake\[Pod\]/);
        // The --l7 listing, which writes its lines itself.
        const l7 = formatFlows(reachability(objects), { l7: true });
        assert.doesNotMatch(l7, /^fake/m);
        assert.match(l7, /All Connections\\nfake\[Pod\]/);
    });
});
