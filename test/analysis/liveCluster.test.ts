/**
 * `reach`, `list` and `diff` on a live cluster (-k/--kubeconfig, -c/--context, diff's
 * cluster:CONTEXT sides) against an in-process fake API server on 127.0.0.1: lists served in
 * pages with `continue` tokens and without their items' kind and apiVersion, groups that are not
 * installed answering 404, RBAC answering 403. The result must equal reading the same objects
 * as files.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as jsYaml from "js-yaml";
import { readResources } from "../../analysis/live/clusterReader";
import type { KubeObject } from "../../analysis/manifests";
import { projectRoot } from "../harness/stackConfig";
import { writeObjectFiles } from "../bench/clusterFiles";
import { syntheticCluster } from "../bench/syntheticCluster";
import { runCli } from "./cliRun";

/** The resource (plural) of each kind the fixtures hold, as the API server names it in a list's path. */
const plurals: Readonly<Record<string, string>> = {
    Namespace: "namespaces", Deployment: "deployments", Service: "services", ServiceAccount: "serviceaccounts", ConfigMap: "configmaps",
    NetworkPolicy: "networkpolicies", GlobalNetworkPolicy: "globalnetworkpolicies", AuthorizationPolicy: "authorizationpolicies",
};

/** The groups and versions the fake server serves (others answer 404, as for CRDs not installed). */
const served = new Set(["v1", "apps/v1", "batch/v1", "networking.k8s.io/v1", "projectcalico.org/v3", "security.istio.io/v1"]);

interface FakeApiServer {
    readonly kubeconfig: string;
    /** Every path and query asked for. */
    readonly requests: string[];
    stop(): Promise<void>;
}

/**
 * Serves `objects` as the API server lists them: `limit` items a page, the next page's offset
 * as the continue token; items without kind and apiVersion, with status and the metadata the
 * server writes. `forbidden` resources (`plural.group`) answer 403; a wrong token 401.
 */
async function fakeApiServer(folder: string, objects: readonly KubeObject[], forbidden: readonly string[] = []): Promise<FakeApiServer> {
    const requests: string[] = [];
    const server = http.createServer((request, response) => {
        requests.push(request.url ?? "");
        const url = new URL(request.url ?? "/", "http://localhost");
        const answer = (status: number, body: unknown) => {
            response.writeHead(status, { "content-type": "application/json" });
            response.end(JSON.stringify(body));
        };
        if (request.headers.authorization !== "Bearer fake-token") {
            return answer(401, { kind: "Status", code: 401, message: "Unauthorized" });
        }
        const match = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))(?:\/namespaces\/([^/]+))?\/([a-z]+)$/.exec(url.pathname);
        const apiVersion = match?.[1] ?? match?.[2];
        if (match === null || apiVersion === undefined || !served.has(apiVersion)) {
            return answer(404, { kind: "Status", code: 404, message: "the server could not find the requested resource" });
        }
        const [, , , namespace, plural] = match;
        const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
        if (forbidden.includes(group === "" ? plural : `${plural}.${group}`)) {
            return answer(403, { kind: "Status", code: 403, reason: "Forbidden", message: `${plural} is forbidden: User "system:serviceaccount:default:reader" cannot list resource "${plural}"` });
        }
        const items = objects.filter((object) => object.apiVersion === apiVersion && plurals[object.kind] === plural
            && (namespace === undefined || object.metadata?.namespace === namespace));
        const limit = Number(url.searchParams.get("limit") ?? items.length);
        const offset = Number(url.searchParams.get("continue") ?? 0);
        const page = items.slice(offset, offset + limit).map(({ kind: _kind, apiVersion: _apiVersion, ...item }) => ({
            ...item,
            metadata: { ...item.metadata, uid: `uid-${offset}`, resourceVersion: "42", creationTimestamp: "2026-01-01T00:00:00Z", managedFields: [{ manager: "kubectl", operation: "Apply" }] },
            ...(item.spec === undefined ? {} : { status: {} }),
        }));
        const next = offset + limit < items.length ? String(offset + limit) : undefined;
        answer(200, { kind: "List", apiVersion, metadata: { resourceVersion: "42", ...(next === undefined ? {} : { continue: next }) }, items: page });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const kubeconfig = path.join(folder, "kubeconfig");
    fs.writeFileSync(kubeconfig, [
        "apiVersion: v1", "kind: Config", "current-context: fake",
        "clusters:", "- name: fake", "  cluster:", `    server: http://127.0.0.1:${port}`, "    insecure-skip-tls-verify: true",
        "users:", "- name: reader", "  user:", "    token: fake-token",
        "- name: stranger", "  user:", "    token: wrong-secret-token",
        "contexts:", "- name: fake", "  context: {cluster: fake, user: reader}", "- name: refused", "  context: {cluster: fake, user: stranger}",
        "",
    ].join("\n"));
    return {
        kubeconfig,
        requests,
        stop: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
    };
}

/** The synthetic cluster (Kubernetes, Calico and Istio policy), with a Service, a mesh config and `extra` more objects. */
function clusterObjects(workloads: number, extra: readonly KubeObject[] = []): KubeObject[] {
    const objects = syntheticCluster(workloads);
    const namespace = objects.find((object) => object.kind === "Deployment")?.metadata?.namespace;
    return [
        ...objects,
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "istio-system" } },
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "istio", namespace: "istio-system" }, data: { mesh: "outboundTrafficPolicy:\n  mode: ALLOW_ANY\n" } },
        { apiVersion: "v1", kind: "Service", metadata: { name: "front", namespace }, spec: { selector: { app: "app-0" }, ports: [{ port: 80 }] } },
        ...extra,
    ];
}

describe("ztmesh reach, list and diff on a live cluster (a fake API server)", function () {
    this.timeout(120000);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-live-"));
    const servers: FakeApiServer[] = [];
    after(async () => {
        await Promise.all(servers.map((server) => server.stop()));
        fs.rmSync(scratch, { recursive: true, force: true });
    });

    /** A fake server of `objects` and the same objects as files. */
    async function clusterAndFiles(name: string, objects: readonly KubeObject[], forbidden: readonly string[] = []): Promise<{ server: FakeApiServer; files: string }> {
        const folder = path.join(scratch, name);
        const files = path.join(folder, "files");
        writeObjectFiles(objects, files);
        const server = await fakeApiServer(folder, objects, forbidden);
        servers.push(server);
        return { server, files };
    }

    it("reads every page of every kind and prints what the same objects as files print, in every format", async () => {
        const { server, files } = await clusterAndFiles("same", clusterObjects(510));
        for (const format of [["--l7"], ["-o", "json"], ["-o", "csv"]]) {
            const fromFiles = await runCli(["reach", files, ...format]);
            const live = await runCli(["reach", "-k", server.kubeconfig, ...format]);
            assert.strictEqual(fromFiles.code, 0, fromFiles.stderr);
            assert.strictEqual(live.code, 0, live.stderr);
            assert.ok(live.stdout.length > 1000, `${format.join(" ")}: ${live.stdout}`);
            assert.strictEqual(live.stdout, fromFiles.stdout);
            assert.strictEqual(live.stderr, "");
        }
        // 510 Deployments at 500 a page: two pages, the second asked for with the first's token.
        assert.ok(server.requests.includes("/apis/apps/v1/deployments?limit=500"), server.requests.join("\n"));
        assert.ok(server.requests.includes("/apis/apps/v1/deployments?limit=500&continue=500"), server.requests.join("\n"));
        // Groups not installed (404) are skipped without a word; Calico's CRDs are not read where its API server serves projectcalico.org.
        assert.ok(server.requests.some((request) => request.startsWith("/apis/gateway.networking.k8s.io/v1/")));
        assert.ok(!server.requests.some((request) => request.startsWith("/apis/crd.projectcalico.org/")));
        // The mesh config is read in istio-system only.
        assert.ok(server.requests.includes("/api/v1/namespaces/istio-system/configmaps?limit=500"));
    });

    it("list takes -c/--context and reads the kubeconfig's $KUBECONFIG when -k is not given", async () => {
        const { server, files } = await clusterAndFiles("context", clusterObjects(20));
        const saved = process.env.KUBECONFIG;
        process.env.KUBECONFIG = server.kubeconfig;
        try {
            const live = await runCli(["list", "-c", "fake", "-o", "md"]);
            assert.strictEqual(live.code, 0, live.stderr);
            assert.strictEqual(live.stdout, (await runCli(["list", "--dirpath", files, "-o", "md"])).stdout);
        } finally {
            if (saved === undefined) delete process.env.KUBECONFIG;
            else process.env.KUBECONFIG = saved;
        }
    });

    it("prints a progress line every 5,000 objects on standard error, none with -q", async () => {
        const accounts: KubeObject[] = Array.from({ length: 5200 }, (_, index) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: `sa-${index}`, namespace: "istio-system" } }));
        const { server } = await clusterAndFiles("progress", clusterObjects(10, accounts));
        const live = await runCli(["reach", "-k", server.kubeconfig]);
        assert.strictEqual(live.code, 0, live.stderr);
        assert.match(live.stderr, /^ztmesh reach: read 5,\d{3} objects from cluster fake \(now serviceaccounts\)\n$/);
        assert.strictEqual((await runCli(["reach", "-k", server.kubeconfig, "-q"])).stderr, "");
    });

    it("names the resource RBAC forbids listing, exit code 2", async () => {
        const { server } = await clusterAndFiles("forbidden", clusterObjects(10), ["authorizationpolicies.security.istio.io"]);
        const live = await runCli(["reach", "-k", server.kubeconfig]);
        assert.strictEqual(live.code, 2);
        assert.strictEqual(live.stdout, "");
        assert.match(live.stderr, /^ztmesh reach: the kubeconfig's user \(context fake\) may not list authorizationpolicies\.security\.istio\.io in all namespaces \(403 Forbidden\): grant list on it/);
    });

    it("refused credentials, an unknown context and a server that does not answer are exit code 2 and never print the token", async () => {
        const { server } = await clusterAndFiles("refused", clusterObjects(10));
        const refused = await runCli(["reach", "-k", server.kubeconfig, "-c", "refused"]);
        assert.strictEqual(refused.code, 2);
        assert.match(refused.stderr, /^ztmesh reach: the API server of context refused \(http:\/\/127\.0\.0\.1:\d+\) refused the kubeconfig's credentials \(401 Unauthorized\)\n$/);
        const unknown = await runCli(["reach", "-k", server.kubeconfig, "-c", "prod"]);
        assert.strictEqual(unknown.code, 2);
        assert.match(unknown.stderr, /kubeconfig .* has no context "prod" \(it has fake, refused\)\n$/);
        const silent = path.join(scratch, "refused", "silent-kubeconfig");
        fs.writeFileSync(silent, fs.readFileSync(server.kubeconfig, "utf8").replace(/127\.0\.0\.1:\d+/, "127.0.0.1:1"));
        const unreachable = await runCli(["reach", "-k", silent]);
        assert.strictEqual(unreachable.code, 2);
        assert.match(unreachable.stderr, /^ztmesh reach: cannot reach the API server of context fake at http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
        for (const result of [refused, unknown, unreachable]) {
            assert.doesNotMatch(result.stderr, /fake-token|wrong-secret-token|internal error/);
        }
        const both = await runCli(["reach", "-k", server.kubeconfig, path.join(scratch, "refused", "files")]);
        assert.strictEqual(both.code, 2);
        assert.match(both.stderr, /read either manifest files and folders or a live cluster/);
    });

    it("an object the cluster holds that the schemas refuse stops the run naming the cluster, as a file's would", async () => {
        const bad: KubeObject = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "bad", namespace: "istio-system" }, spec: { podSelector: {}, policyTypes: ["Sideways"] } };
        const { server } = await clusterAndFiles("invalid", clusterObjects(10, [bad]));
        const live = await runCli(["reach", "-k", server.kubeconfig]);
        assert.strictEqual(live.code, 2);
        assert.match(live.stderr, /^ztmesh reach: cluster fake: NetworkPolicy istio-system\/bad: spec\.policyTypes/);
    });

    it("diff compares a cluster (cluster:CONTEXT) with files, either side", async () => {
        const objects = clusterObjects(20);
        const { server, files } = await clusterAndFiles("diff", objects);
        const same = await runCli(["diff", "-k", server.kubeconfig, "cluster:fake", files]);
        assert.strictEqual(same.code, 0, same.stderr);
        assert.strictEqual(same.stdout, "");
        // The files lack one Deployment: the cluster adds it and its connections.
        const changed = path.join(scratch, "diff", "changed");
        const dropped = objects.find((object) => object.kind === "Deployment");
        writeObjectFiles(objects.filter((object) => object !== dropped), changed);
        const live = await runCli(["diff", "-k", server.kubeconfig, changed, "cluster:", "-c", "fake"]);
        const fromFiles = await runCli(["diff", changed, files]);
        assert.strictEqual(live.code, 0, live.stderr);
        assert.match(fromFiles.stdout, new RegExp(`workloads-diff-info: workload ${dropped?.metadata?.namespace}/${dropped?.metadata?.name}\\[Deployment\\] added`));
        assert.strictEqual(live.stdout, fromFiles.stdout);
        const noClusterSide = await runCli(["diff", "-k", server.kubeconfig, files, changed]);
        assert.strictEqual(noClusterSide.code, 2);
        assert.match(noClusterSide.stderr, /give one as cluster:CONTEXT/);
    });

    it("docs/cli.md's ClusterRole and Role grant list on exactly the resources read", () => {
        const page = fs.readFileSync(path.join(projectRoot, "docs", "cli.md"), "utf8");
        const block = /```yaml\n(apiVersion: rbac[\s\S]*?)```/.exec(page)?.[1];
        assert.ok(block, "docs/cli.md has the RBAC objects");
        const granted = jsYaml.loadAll(block).flatMap((role: any) => role.rules.flatMap((rule: any) => rule.verbs.includes("list")
            ? rule.apiGroups.flatMap((group: string) => rule.resources.map((resource: string) => (group === "" ? resource : `${resource}.${group}`))) : []));
        // The Calico API server's per-tier authorization of policy reads (tier.networkpolicies) is not a resource listed.
        assert.deepStrictEqual(granted.filter((resource: string) => !resource.startsWith("tier.")).sort(), [...readResources()].sort());
    });
});
