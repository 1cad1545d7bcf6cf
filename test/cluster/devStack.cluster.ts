import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCli } from "../analysis/cliRun";
import { writeObjectFiles } from "../bench/clusterFiles";
import { syntheticEnvironment } from "../bench/generate";
import { PulumiCli } from "../e2e/pulumiCli";
import { calicoCharts, crdFile, istioCharts, writeStackConfig } from "../e2e/stackFiles";
import { TestCluster } from "./apiServer";
import { assertOnServer, clusterConfig, expectedObjects, startWithManifestCalico } from "./stackOnServer";

/** The PIDs of every process below `pid` (Linux /proc), children first listed after their parent. */
function descendants(pid: number): number[] {
    const parentOf = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
        try {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
        } catch {
            // the process ended while we looked
        }
    }
    const found: number[] = [];
    for (let frontier = [pid]; frontier.length > 0;) {
        frontier = [...parentOf].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
        found.push(...frontier);
    }
    return found;
}

/**
 * The stacks with `pulumi up` against a real kube-apiserver and etcd on loopback (built from Go
 * modules by scripts/cluster.sh): the server's schemas, CEL rules, defaulting and server-side
 * apply check every object. There are no nodes, so the stacks run with
 * `ztmesh:cluster.skipAwait` (nothing can become ready).
 */
describe("cluster: the dev stack applied to kube-apiserver v1.36.3", function () {
    this.timeout(1_800_000);
    let cluster: TestCluster;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-cluster-test-"));
    const stack = `cluster-${process.pid}`;
    const state = path.join(work, "state");
    let kubeEnv: NodeJS.ProcessEnv;

    /** The dev config against the test cluster, with the upstream charts; `edit` changes it. */
    function devConfig(edit: (config: Record<string, any>) => void = () => {}): Record<string, any> {
        const config = clusterConfig("dev");
        edit(config);
        return config;
    }

    /** The dev config plus 50 services in five more namespaces: a large change. */
    function largeConfig(): Record<string, any> {
        return devConfig((c) => {
            c["ztmesh:services"].push(...syntheticEnvironment(50).services.map(({ public: _public, ...service }) => service));
        });
    }

    function cli(name: string, config: Record<string, any>): PulumiCli {
        return new PulumiCli(state, stack, writeStackConfig(path.join(work, `Pulumi.${stack}-${name}.yaml`), config), kubeEnv);
    }

    before(async () => {
        cluster = await startWithManifestCalico();
        kubeEnv = { KUBECONFIG: cluster.kubeconfigPath };
        fs.mkdirSync(state);
        cli("dev", devConfig()).ok(["stack", "init"]);
    });

    after(async () => {
        cli("dev", devConfig()).run(["destroy", "--yes"]);
        cli("dev", devConfig()).run(["stack", "rm", "--yes", "--force"]);
        await cluster?.stop();
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("pulumi up creates every object of the stack, charts included; the server accepts them all", async () => {
        const config = devConfig();
        cli("dev", config).ok(["up", "--yes", "--skip-preview"]);
        await assertOnServer(cluster, await expectedObjects("dev", config));
        assert.ok(await cluster.read("apps/v1", "Deployment", "istiod", "istio-system"), "istiod from the upstream chart");
        const istiodPolicy = await cluster.read("networking.k8s.io/v1", "NetworkPolicy", "istiod", "istio-system");
        assert.deepStrictEqual(istiodPolicy?.spec.podSelector, { matchLabels: { app: "istiod", "istio.io/rev": "default" } });
        const policies = await cluster.list("crd.projectcalico.org/v1", "GlobalNetworkPolicy");
        assert.ok(policies.some((p) => p.metadata!.name === "default.ztmesh-default-deny"), "the Calico default-deny, in the storage API");
    });

    it("ztmesh reach --kubeconfig on the deployed stack prints what ztmesh reach prints on the same objects as files", async () => {
        // The objects as `kubectl get -A -o yaml` writes them (status, managed fields and all),
        // listed by the test's own client: every kind the engine evaluates that this server serves.
        const kinds: readonly [string, readonly string[]][] = [
            ["v1", ["Namespace", "Pod", "Service", "ServiceAccount", "ReplicationController"]],
            ["apps/v1", ["Deployment", "DaemonSet", "ReplicaSet", "StatefulSet"]], ["batch/v1", ["Job", "CronJob"]],
            ["networking.k8s.io/v1", ["NetworkPolicy"]], ["policy.networking.k8s.io/v1alpha2", ["ClusterNetworkPolicy"]],
            ["crd.projectcalico.org/v1", ["Tier", "GlobalNetworkPolicy", "NetworkPolicy", "GlobalNetworkSet", "NetworkSet", "HostEndpoint"]],
            ["security.istio.io/v1", ["AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"]],
            ["networking.istio.io/v1", ["Gateway", "ServiceEntry", "Sidecar", "VirtualService"]],
            ["gateway.networking.k8s.io/v1", ["GatewayClass", "Gateway", "HTTPRoute"]],
        ];
        const crds = (await cluster.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")).map((crd: any) => `${crd.spec.group}/${crd.spec.names.kind}`);
        const objects: any[] = [];
        for (const [apiVersion, names] of kinds) {
            for (const kind of names) {
                const builtIn = !apiVersion.includes(".") || apiVersion.startsWith("networking.k8s.io/");
                if (builtIn || crds.includes(`${apiVersion.split("/")[0]}/${kind}`)) {
                    objects.push(...await cluster.list(apiVersion, kind));
                }
            }
        }
        objects.push(...(await cluster.list("v1", "ConfigMap", "istio-system")).filter((map) => /^istio(-.+)?$/.test(map.metadata!.name!)));
        const folder = path.join(work, "listed");
        writeObjectFiles(objects, folder);
        const fromFiles = await runCli(["reach", folder, "--l7", "-q"]);
        const live = await runCli(["reach", "--kubeconfig", cluster.kubeconfigPath, "--l7", "-q"]);
        assert.strictEqual(fromFiles.code, 0, fromFiles.stderr);
        assert.strictEqual(live.code, 0, live.stderr);
        assert.match(live.stdout, / => /);
        assert.strictEqual(live.stdout, fromFiles.stdout);
    });

    it("a second preview changes nothing", () => {
        cli("dev", devConfig()).ok(["preview", "--expect-no-changes"]);
    });

    it("a new caller of ratings updates exactly the policies of that flow, in place", async () => {
        const config = devConfig((c) => {
            const ratings = c["ztmesh:services"].find((s: any) => s.name === "ratings");
            ratings.callers.push({ service: "details", methods: ["GET"], paths: ["/ratings/*"] });
        });
        const preview = JSON.parse(cli("dev-caller", config).ok(["preview", "--json"]));
        const changed = preview.steps.filter((step: any) => step.op !== "same").map((step: any) => `${step.op} ${step.urn.split("::").pop()}`).sort();
        // ratings admits details at L3/4 and L7 and records the new caller on its Service;
        // details may now send to ratings. Nothing else changes, and nothing is replaced.
        assert.deepStrictEqual(changed, [
            "update details-networkpolicy", "update ratings-authorizationpolicy", "update ratings-networkpolicy", "update ratings-service",
        ]);
        cli("dev-caller", config).ok(["up", "--yes", "--skip-preview"]);
        const authz = await cluster.read("security.istio.io/v1", "AuthorizationPolicy", "ratings", "bookinfo");
        assert.ok(JSON.stringify(authz.spec).includes("cluster.local/ns/bookinfo/sa/bookinfo-details"), "details may call ratings at L7");
        await assertOnServer(cluster, await expectedObjects("dev", config));
    });

    it("a mistake only the server can see fails pulumi preview with the server's message", () => {
        const manifest = path.join(work, "server-only.yaml");
        // Valid against the CRD's schema, refused by its CEL rule: port-level mTLS needs a selector.
        fs.writeFileSync(manifest, [
            "apiVersion: security.istio.io/v1", "kind: PeerAuthentication", "metadata: { name: ports, namespace: bookinfo }",
            "spec:", "  mtls: { mode: STRICT }", "  portLevelMtls:", "    \"9080\": { mode: STRICT }", "",
        ].join("\n"));
        const { status, output } = cli("server-only", devConfig((c) => { c["ztmesh:manifests"] = [manifest]; })).run(["preview"]);
        assert.notStrictEqual(status, 0, output);
        assert.match(output, /portLevelMtls requires selector/);
    });

    it("pulumi up killed halfway through a large change converges after refresh and up, with nothing lost or duplicated", async () => {
        const config = largeConfig();
        const large = cli("large", config);
        const child = large.spawn(["up", "--yes", "--skip-preview"]);
        let created = 0;
        let killed = false;
        await new Promise<void>((resolve) => {
            child.stdout!.on("data", (chunk: Buffer) => {
                created += (chunk.toString().match(/ created /g) ?? []).length;
                if (created >= 120 && !killed) {
                    killed = true;
                    // Like a crash: pulumi dies at once. Its plugins (language host, program,
                    // provider) run in process groups of their own; stop them too, by PID.
                    const plugins = descendants(child.pid!);
                    child.kill("SIGKILL");
                    for (const pid of plugins) {
                        try {
                            process.kill(pid, "SIGKILL");
                        } catch {
                            // already gone
                        }
                    }
                }
            });
            child.on("exit", () => resolve());
        });
        assert.ok(created >= 120, `the update was interrupted (${created} created)`);
        large.run(["cancel", "--yes"]);
        large.ok(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
        large.ok(["up", "--yes", "--skip-preview"]);
        large.ok(["preview", "--expect-no-changes"]);
        const expected = await expectedObjects("dev", config);
        await assertOnServer(cluster, expected);
        for (const namespace of ["team-0", "team-4"]) {
            const onServer = (await cluster.list("networking.k8s.io/v1", "NetworkPolicy", namespace)).map((p) => p.metadata!.name).sort();
            const wanted = expected.filter((r) => r.inputs.kind === "NetworkPolicy" && r.inputs.metadata.namespace === namespace).map((r) => r.inputs.metadata.name).sort();
            assert.deepStrictEqual(onServer, wanted, `NetworkPolicies in ${namespace}`);
        }
    });

    it("pulumi destroy removes every object the stack created and leaves the CRDs in place", async () => {
        const config = largeConfig(); // what the stack holds after the previous test
        const objects = await expectedObjects("dev", config);
        assert.ok(objects.length > 400, `${objects.length} objects`);
        cli("large", config).ok(["destroy", "--yes", "--skip-preview"]);
        const left: string[] = [];
        for (const { inputs } of objects) {
            const live = await cluster.read(inputs.apiVersion, inputs.kind, inputs.metadata.name, inputs.metadata.namespace);
            // Without a controller manager, namespaces stay Terminating: deleted, not gone.
            if (live && !(inputs.kind === "Namespace" && live.metadata.deletionTimestamp) && !["CustomResourceDefinition", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"].includes(inputs.kind)) {
                left.push(`${inputs.kind} ${inputs.metadata.namespace ?? ""}/${inputs.metadata.name}`);
            }
        }
        assert.deepStrictEqual(left, []);
        const crds = (await cluster.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")).map((crd) => crd.metadata!.name!);
        for (const crd of ["httproutes.gateway.networking.k8s.io", "authorizationpolicies.security.istio.io", "globalnetworkpolicies.crd.projectcalico.org"]) {
            assert.ok(crds.includes(crd), `${crd} is retained`);
        }
    });
});

describe("cluster: Calico installed by the stack, policy in projectcalico.org/v3", function () {
    this.timeout(1_800_000);
    let cluster: TestCluster;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-cluster-test-"));
    const stack = `cluster-v3-${process.pid}`;
    let pulumi: PulumiCli;

    before(async () => {
        cluster = await TestCluster.start();
        // Calico's API server serves projectcalico.org/v3; its CRDs stand in for it here. The
        // operator's own CRDs come from the stack's crd.projectcalico.org.v1 chart.
        await cluster.apply([crdFile("calico-v3.32.1-projectcalico-v3-crds.yaml")], (object) => object.spec?.group === "projectcalico.org");
        await cluster.crdsEstablished();
        // One folder with every chart the stack installs, as ztmesh:charts.localDirectory expects.
        const charts = path.join(work, "charts");
        fs.mkdirSync(charts);
        for (const [folder, names] of [[istioCharts, ["base", "istiod"]], [calicoCharts, ["crd.projectcalico.org.v1", "tigera-operator"]]] as const) {
            for (const name of names) {
                fs.symlinkSync(path.join(folder, name), path.join(charts, name));
            }
        }
        const config = clusterConfig("dev");
        config["ztmesh:calico"] = { install: true };
        config["ztmesh:charts"] = { localDirectory: charts };
        fs.mkdirSync(path.join(work, "state"));
        pulumi = new PulumiCli(path.join(work, "state"), stack, writeStackConfig(path.join(work, `Pulumi.${stack}.yaml`), config), { KUBECONFIG: cluster.kubeconfigPath });
        pulumi.ok(["stack", "init"]);
    });

    after(async () => {
        pulumi?.run(["destroy", "--yes"]);
        pulumi?.run(["stack", "rm", "--yes", "--force"]);
        await cluster?.stop();
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("pulumi up installs the operator and writes Calico policy to projectcalico.org/v3", async () => {
        pulumi.ok(["up", "--yes", "--skip-preview"]);
        assert.ok(await cluster.read("apps/v1", "Deployment", "tigera-operator", "tigera-operator"), "the operator from the upstream chart");
        assert.ok(await cluster.read("operator.tigera.io/v1", "Installation", "default"));
        const policies = (await cluster.list("projectcalico.org/v3", "GlobalNetworkPolicy")).map((p) => p.metadata!.name);
        assert.ok(policies.includes("ztmesh-default-deny"), policies.join(", "));
        pulumi.ok(["preview", "--expect-no-changes"]);
    });
});
