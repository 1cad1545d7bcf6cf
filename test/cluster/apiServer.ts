import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as k8s from "@kubernetes/client-node";
import * as YAML from "yaml";
import { projectRoot } from "../harness/stackConfig";

const bin = path.join(projectRoot, ".toolchain", "bin");

/**
 * An object as the API server sent it. The client hands out typed models whose field names
 * differ from the wire format (a NetworkPolicy rule's `from` is `_from`); its YAML dump
 * writes them back in the wire format.
 */
function wireFormat(object: k8s.KubernetesObject, apiVersion: string, kind: string): any {
    return YAML.parse(k8s.dumpYaml({ ...object, apiVersion, kind }));
}

/** A free TCP port on loopback (the kernel picks it; the listener closes before the server takes it). */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        }).on("error", reject);
    });
}

/** Polls `check` every 250 ms until it returns true, or fails after `timeoutMs` naming `what`. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, log: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await check().catch(() => false)) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`${what} was not ready after ${timeoutMs / 1000}s; its log ends:\n${log().slice(-3000)}`);
}

/**
 * `request`, again while the server answers 429 Too Many Requests, after the second its
 * Retry-After asks for: a list is refused so while the resource's watch cache (re)initializes
 * ("storage is (re)initializing"), which a busy server may take seconds to do.
 */
async function retryingTooManyRequests<T>(request: () => Promise<T>, attempts = 30): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await request();
        } catch (error) {
            if ((error as { code?: number }).code !== 429 || attempt >= attempts) {
                throw error;
            }
            await new Promise((resolve) => setTimeout(resolve, 1000));
        }
    }
}

/** GET `url` on loopback; resolves to the status code. */
function get(url: string, options: https.RequestOptions = {}): Promise<number> {
    const client = url.startsWith("https:") ? https : require("http");
    return new Promise((resolve, reject) => {
        client.get(url, { ...options, timeout: 2000 }, (res: any) => {
            res.resume();
            resolve(res.statusCode);
        }).on("error", reject);
    });
}

/**
 * etcd and kube-apiserver, built by scripts/cluster.sh, running on loopback with free ports in
 * a temporary folder: a real Kubernetes API (schemas, CEL rules of CRDs, defaulting,
 * server-side apply) without nodes. Stops what it started, by PID, also when the test process
 * exits early.
 */
export class TestCluster {
    readonly kubeconfigPath: string;
    readonly kubeconfig: k8s.KubeConfig;
    private readonly processes: ChildProcess[] = [];
    private readonly started = Date.now();

    private constructor(readonly directory: string, readonly server: string, token: string) {
        const ca = path.join(directory, "certs", "apiserver.crt");
        const config = {
            apiVersion: "v1", kind: "Config", "current-context": "test",
            clusters: [{ name: "test", cluster: { server, "certificate-authority": ca } }],
            users: [{ name: "admin", user: { token } }],
            contexts: [{ name: "test", context: { cluster: "test", user: "admin" } }],
        };
        this.kubeconfigPath = path.join(directory, "kubeconfig");
        fs.writeFileSync(this.kubeconfigPath, YAML.stringify(config), { mode: 0o600 });
        this.kubeconfig = new k8s.KubeConfig();
        this.kubeconfig.loadFromFile(this.kubeconfigPath);
    }

    private log(message: string): void {
        console.log(`      [cluster +${Math.round((Date.now() - this.started) / 1000)}s] ${message}`);
    }

    /** Starts etcd, then kube-apiserver, and waits until the API server is ready. */
    static async start(): Promise<TestCluster> {
        for (const binary of ["etcd", "kube-apiserver"]) {
            if (!fs.existsSync(path.join(bin, binary))) {
                throw new Error(`${path.join(bin, binary)} is missing: run \`bash scripts/cluster.sh\` first (npm run test:cluster does)`);
            }
        }
        const directory = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-cluster-"));
        const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
        const token = crypto.randomBytes(24).toString("hex");
        const cluster = new TestCluster(directory, `https://127.0.0.1:${apiPort}`, token);
        process.on("exit", cluster.killAll);
        process.on("SIGINT", cluster.interrupted);
        process.on("SIGTERM", cluster.interrupted);

        cluster.log(`etcd on 127.0.0.1:${etcdClient}`);
        const etcdUrl = `http://127.0.0.1:${etcdClient}`;
        const etcd = cluster.spawn("etcd", [
            "--name", "test", "--data-dir", path.join(directory, "etcd"), "--unsafe-no-fsync", "--log-level", "warn",
            "--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl,
            "--listen-peer-urls", `http://127.0.0.1:${etcdPeer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${etcdPeer}`,
            "--initial-cluster", `test=http://127.0.0.1:${etcdPeer}`,
        ]);
        await waitFor("etcd", 30_000, async () => (await get(`${etcdUrl}/health`)) === 200, etcd);

        const keys = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
        fs.writeFileSync(path.join(directory, "sa.key"), keys.privateKey.export({ type: "pkcs8", format: "pem" }));
        fs.writeFileSync(path.join(directory, "sa.pub"), keys.publicKey.export({ type: "spki", format: "pem" }));
        fs.writeFileSync(path.join(directory, "tokens.csv"), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
        cluster.log(`kube-apiserver on 127.0.0.1:${apiPort}`);
        const apiServer = cluster.spawn("kube-apiserver", [
            `--etcd-servers=${etcdUrl}`, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${apiPort}`,
            `--cert-dir=${path.join(directory, "certs")}`, `--token-auth-file=${path.join(directory, "tokens.csv")}`,
            `--service-account-key-file=${path.join(directory, "sa.pub")}`, `--service-account-signing-key-file=${path.join(directory, "sa.key")}`,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local", "--authorization-mode=RBAC",
            "--service-cluster-ip-range=10.96.0.0/16", "--enable-priority-and-fairness=false", "--v=0",
        ]);
        await waitFor("kube-apiserver", 120_000, async () => {
            const ca = path.join(directory, "certs", "apiserver.crt");
            return fs.existsSync(ca) && (await get(`${cluster.server}/readyz`, { ca: fs.readFileSync(ca), headers: { Authorization: `Bearer ${token}` } })) === 200;
        }, apiServer);
        cluster.log("ready");
        return cluster;
    }

    /** Starts `binary` from .toolchain/bin with its output in the cluster folder; returns a reader of that log. */
    private spawn(binary: string, args: string[]): () => string {
        const logFile = path.join(this.directory, `${binary}.log`);
        const out = fs.openSync(logFile, "a");
        const child = spawn(path.join(bin, binary), args, { stdio: ["ignore", out, out] });
        fs.closeSync(out);
        this.processes.push(child);
        return () => fs.readFileSync(logFile, "utf8");
    }

    /**
     * Applies the objects of the YAML `files` (those `include` keeps) with server-side apply:
     * CRDs are too large for the last-applied annotation of a client-side apply.
     */
    async apply(files: string[], include: (object: any) => boolean = () => true): Promise<void> {
        const api = k8s.KubernetesObjectApi.makeApiClient(this.kubeconfig);
        for (const file of files) {
            // The client serializes through its models (x-kubernetes-* keys included), so parse with it.
            const objects = k8s.loadAllYaml(fs.readFileSync(file, "utf8")).filter((object: any) => object && include(object));
            this.log(`server-side apply of ${objects.length} objects from ${path.basename(file)}`);
            for (const object of objects) {
                await api.patch(object, undefined, undefined, "ztmesh-test", true, k8s.PatchStrategy.ServerSideApply);
            }
        }
    }

    /** Waits until every CustomResourceDefinition on the server is Established. */
    async crdsEstablished(timeoutMs = 120_000): Promise<number> {
        const api = this.kubeconfig.makeApiClient(k8s.ApiextensionsV1Api);
        let pending: string[] = [];
        let count = 0;
        await waitFor("the CRDs", timeoutMs, async () => {
            const crds = (await api.listCustomResourceDefinition()).items;
            count = crds.length;
            pending = crds.filter((crd) => !crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")).map((crd) => crd.metadata!.name!);
            return pending.length === 0;
        }, () => `not established: ${pending.join(", ")}`);
        return count;
    }

    /** Every object of `apiVersion`/`kind` (in `namespace`, when given) on the server. */
    async list(apiVersion: string, kind: string, namespace?: string): Promise<k8s.KubernetesObject[]> {
        const api = k8s.KubernetesObjectApi.makeApiClient(this.kubeconfig);
        return (await retryingTooManyRequests(() => api.list(apiVersion, kind, namespace))).items.map((item) => wireFormat(item, apiVersion, kind));
    }

    /** The object, or undefined when the server has none. */
    async read(apiVersion: string, kind: string, name: string, namespace?: string): Promise<any | undefined> {
        const api = k8s.KubernetesObjectApi.makeApiClient(this.kubeconfig);
        try {
            return wireFormat(await api.read({ apiVersion, kind, metadata: { name, namespace } }), apiVersion, kind);
        } catch (error) {
            if ((error as { code?: number }).code === 404) {
                return undefined;
            }
            throw error;
        }
    }

    private readonly killAll = (): void => {
        for (const child of this.processes.reverse()) {
            if (child.exitCode === null && child.pid !== undefined) {
                try {
                    process.kill(child.pid, "SIGTERM");
                } catch {
                    // already gone
                }
            }
        }
    };

    /** An interrupted run (Ctrl-C, or CI's timeout) still stops the servers. */
    private readonly interrupted = (signal: NodeJS.Signals): void => {
        this.killAll();
        process.exit(signal === "SIGINT" ? 130 : 143);
    };

    /** Stops kube-apiserver, then etcd (SIGTERM, then SIGKILL after 10 s), and removes the folder. */
    async stop(): Promise<void> {
        process.off("exit", this.killAll);
        process.off("SIGINT", this.interrupted);
        process.off("SIGTERM", this.interrupted);
        for (const child of [...this.processes].reverse()) {
            if (child.exitCode !== null || child.pid === undefined) {
                continue;
            }
            const exited = new Promise((resolve) => child.once("exit", resolve));
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
            await exited;
            clearTimeout(timer);
        }
        this.log("stopped");
        fs.rmSync(this.directory, { recursive: true, force: true });
    }
}
