/**
 * `--exposure` where Calico, ClusterNetworkPolicy or Istio policy takes part
 * (analysis/exposure/layeredExposure.ts): every layer is probed with workloads no policy names.
 */
import * as assert from "assert";
import * as path from "path";
import { exposure } from "../../analysis/exposure/exposure";
import { exposureSection } from "../../analysis/formats/connlist";
import { focusList } from "../../analysis/formats/focus";
import { KubeObject, loadManifests, parseManifests } from "../../analysis/manifests";
import { clusterModel } from "../../analysis/model/cluster";
import { analysedObjects, reachability } from "../../analysis/reach";
import { parseEnvironment } from "../../stacks/config";
import { stackObjects } from "../../stacks/offline";
import { conformanceFolder } from "../conformance/conformanceText";
import { stackConfig } from "../harness/stackConfig";
import { runCli } from "./cliRun";

/** The txt exposure section of `objects`, from `Exposure Analysis Result:` on. */
function section(objects: readonly KubeObject[]): string {
    const flows = reachability(objects);
    return exposureSection(exposure(objects), focusList(flows, clusterModel(analysedObjects(objects)).workloads));
}

const calico = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.quarantine}
spec:
  tier: security
  order: 10
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Deny
    source: {namespaceSelector: projectcalico.org/name == 'quarantine'}
  - action: Pass
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: partners, labels: {role: partners}}
spec: {nets: [203.0.113.0/24]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  selector: app == 'web'
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    protocol: TCP
    source: {namespaceSelector: all()}
    destination: {ports: [80]}
  - action: Allow
    protocol: TCP
    source: {namespaceSelector: projectcalico.org/name == 'ops'}
    destination: {ports: [22]}
  - action: Allow
    protocol: TCP
    source: {selector: role == 'partners', namespaceSelector: global()}
    destination: {ports: [443]}
  - action: Allow
    protocol: TCP
    source: {selector: app == 'monitor', namespaceSelector: all()}
    destination: {ports: [9090]}
  egress:
  - action: Allow
    protocol: UDP
    destination: {selector: k8s-app == 'kube-dns', namespaceSelector: projectcalico.org/name == 'kube-system', ports: [53]}
`;

const istio = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: c, ports: [{containerPort: 9080}, {containerPort: 9090}, {containerPort: 8080}, {containerPort: 7070}]}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["*"]}}]
    to: [{operation: {ports: ["9080"]}}]
  - from: [{source: {namespaces: ["ops"]}}]
    to: [{operation: {ports: ["9090"]}}]
  - to: [{operation: {ports: ["8080"]}}]
  - from: [{source: {principals: ["cluster.local/ns/front/sa/web"]}}]
    to: [{operation: {ports: ["7070"]}}]
`;

describe("exposure on Calico and Istio input (every layer probed)", () => {
    it("Calico: all() namespaces, a namespace by name, a pod selector in every namespace, a Deny in an earlier tier, a global() network set, and an egress selector", () => {
        assert.strictEqual(section(parseManifests(calico, "calico.yaml")), [
            "Exposure Analysis Result:",
            "Egress Exposure:",
            "shop/web[Pod] \t=> \tkube-system/[pod with {k8s-app == \"kube-dns\"}] : UDP 53",
            "",
            "Ingress Exposure:",
            // global(): the set's addresses are External, named by the set.
            "shop/web[Pod] \t<= \t203.0.113.0-203.0.113.255[GlobalNetworkSet partners] : TCP 443",
            "shop/web[Pod] \t<= \t[all namespaces]/[pod with {app == \"monitor\"}] : TCP 80,9090",
            "shop/web[Pod] \t<= \tentire-cluster : TCP 80",
            "shop/web[Pod] \t<= \tops/[all pods] : TCP 22,80",
            // The security tier's Deny comes before the Allow of all() namespaces: a hole in the cluster's exposure.
            "shop/web[Pod] \t<= \tquarantine/[all pods] : No Connections",
            "",
        ].join("\n"));
    });

    it("Istio: no `from` opens to the whole cluster, `principals: [\"*\"]` to the whole mesh, `namespaces` and an exact principal to their pods", () => {
        assert.strictEqual(section(parseManifests(istio, "istio.yaml")).split("\n").filter((line) => line.includes("<=")).join("\n"), [
            // A sidecar does not intercept UDP and SCTP; of TCP, a caller without a proxy matches only the rule without `from`.
            "shop/api[Pod] \t<= \t0.0.0.0-255.255.255.255[External] : SCTP 1-65535,TCP 8080,UDP 1-65535",
            "shop/api[Pod] \t<= \tentire-cluster : SCTP 1-65535,TCP 8080,UDP 1-65535",
            "shop/api[Pod] \t<= \tentire-mesh : SCTP 1-65535,TCP 8080,9080,UDP 1-65535",
            "shop/api[Pod] \t<= \tfront/[service account web] : SCTP 1-65535,TCP 7070,8080,9080,UDP 1-65535",
            "shop/api[Pod] \t<= \tops/[all pods] : SCTP 1-65535,TCP 8080,9080,9090,UDP 1-65535",
        ].join("\n"));
    });

    it("escapes a principal's control characters: no rule text forges an exposure line", () => {
        const forged = istio.replace("cluster.local/ns/front/sa/web", "cluster.local/ns/front/sa/web\\nEVIL <= entire-cluster : All Connections");
        const lines = section(parseManifests(forged, "istio.yaml")).split("\n");
        assert.ok(lines.includes("shop/api[Pod] \t<= \tfront/[service account web\\nEVIL <= entire-cluster : All Connections] : SCTP 1-65535,TCP 7070,8080,9080,UDP 1-65535"), lines.join("\n"));
        assert.ok(!lines.some((line) => line.startsWith("EVIL")));
    });

    it("lists no probe among the flows, and a pod the input holds is not inferred again", () => {
        const objects = parseManifests(`${calico}---\napiVersion: v1\nkind: Pod\nmetadata: {name: monitor, namespace: ops, labels: {app: monitor}}\nspec: {containers: [{name: c}]}\n`, "calico.yaml");
        const text = section(objects);
        assert.ok(!/ztmesh-exposure/.test(text), text);
        assert.ok(!text.includes("app == \"monitor\""), "the monitor pod of the input stands for the selector");
        assert.ok(reachability(objects).every((flow) => !flow.src.name.includes("ztmesh-exposure") && !flow.dst.name.includes("ztmesh-exposure")));
    });

    for (const stack of ["dev", "ambient"] as const) {
        it(`the ${stack} stack: every workload is open, beyond the stack, only to kube-dns and istiod; the gateway to External and the system namespaces`, async function () {
            this.timeout(120000);
            const objects = await stackObjects(parseEnvironment(stackConfig(stack)), stack);
            const lines = section(objects).split("\n");
            const egress = lines.filter((line) => line.includes("\t=> \t"));
            const workloads = clusterModel(analysedObjects(objects)).workloads.map((workload) => `${workload.namespace}/${workload.name}[${workload.kind}]`)
                .filter((name) => !name.includes("waypoint"));
            for (const workload of workloads) {
                assert.deepStrictEqual(egress.filter((line) => line.startsWith(`${workload} `)).map((line) => line.split("\t=> \t")[1]), [
                    "istio-system/[pod with {app=istiod}] : TCP 15012",
                    "kube-system/[pod with {k8s-app=kube-dns}] : TCP 53,UDP 53",
                ], workload);
            }
            const ingress = lines.filter((line) => line.includes("\t<= \t")).map((line) => line.replace(/ +\t/, " \t"));
            const gateway = "istio-ingress/mesh-gateway-istio[Deployment] \t<= \t";
            assert.ok(ingress.every((line) => line.startsWith(gateway)), ingress.join("\n"));
            assert.deepStrictEqual(ingress.filter((line) => !line.includes("[External]")), [
                `${gateway}istio-system/[all pods] : TCP 80,443,15021`,
                `${gateway}kube-system/[all pods] : TCP 80,443,15021`,
            ]);
        });
    }

    describe("on NCA's Calico and Istio cases (../shared/conformance/nca)", () => {
        const load = (name: string) => loadManifests(path.join(conformanceFolder("nca"), name, "input"));

        it("calico-testcase15-global-simple: the keepalived watchers may send TCP 200-250 to any pod without an `app` label (`!has(app)`)", () => {
            assert.strictEqual(section(load("calico-testcase15-global-simple")), [
                "Exposure Analysis Result:",
                "Egress Exposure:",
                "kube-system/keepalived-watcher-57ghx[Pod] \t=> \tentire-cluster : TCP 200-250",
                "kube-system/keepalived-watcher-gzdfm[Pod] \t=> \tentire-cluster : TCP 200-250",
                "",
            ].join("\n"));
        });

        it("istio-deny-all: the proxies of `default` refuse every TCP request from the cluster; other namespaces stay open", () => {
            const objects = load("istio-deny-all");
            const ingress = section(objects).split("\n").filter((line) => line.includes("\t<= \tentire-cluster"));
            const inDefault = ingress.filter((line) => line.startsWith("default/"));
            assert.ok(inDefault.length > 0);
            assert.ok(inDefault.every((line) => line.endsWith(" : SCTP 1-65535,UDP 1-65535")), inDefault.join("\n"));
            assert.ok(ingress.filter((line) => !line.startsWith("default/")).every((line) => line.endsWith(" : All Connections")));
        });

        it("istio-allow-all: every workload is open to the whole cluster", () => {
            const objects = load("istio-allow-all");
            const ingress = section(objects).split("\n").filter((line) => line.includes("\t<= \tentire-cluster"));
            assert.strictEqual(ingress.length, clusterModel(objects).workloads.length);
            assert.ok(ingress.every((line) => line.endsWith(" : All Connections")));
        });
    });

    describe("on the command line", () => {
        it("reach --exposure on Istio input lists the exposure (exit 0), and --explain --exposure ends with it", async () => {
            const folder = path.join(conformanceFolder("nca"), "istio-deny-all", "input");
            const listed = await runCli(["reach", folder, "--exposure", "-q"]);
            assert.strictEqual(listed.code, 0, listed.stderr);
            const plain = await runCli(["reach", folder, "-q"]);
            assert.ok(listed.stdout.startsWith(`${plain.stdout}\nExposure Analysis Result:\n`), "the listing is unchanged by the probes");
            const explained = await runCli(["list", "--dirpath", folder, "--explain", "--exposure", "--focusworkload", "default/cog-agents-d54st", "-q"]);
            assert.strictEqual(explained.code, 0, explained.stderr);
            assert.match(explained.stdout, /layer by layer #\n[\s\S]*\n\nExposure Analysis Result:\nEgress Exposure:\ndefault\/cog-agents-d54st\[Pod\] \t=> \t/);
            assert.ok(explained.stdout.endsWith("default/cog-agents-d54st[Pod] \t<= \tentire-cluster : SCTP 1-65535,UDP 1-65535\n"), explained.stdout.slice(-300));
        });
    });
});
