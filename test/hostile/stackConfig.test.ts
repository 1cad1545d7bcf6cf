/**
 * Hostile and mistaken `ztmesh:*` config, each a change to the dev stack: the program must stop
 * with one ConfigError (a pulumi.RunError, printed without a stack trace) that names the key the
 * user wrote and the fix, before any resource is registered — never a component's
 * ResourceError halfway through a preview, and never wider or invalid objects.
 *
 * Imports only what the stack offered before its up-front validation, so the table can be run
 * against that code too (where every row fails).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseEnvironment } from "../../stacks/config";
import { deployMesh } from "../../stacks/program";
import { installMocks, settled } from "../../stacks/offline";
import { projectRoot, stackConfig } from "../harness/stackConfig";

type Config = Record<string, any>;

/** The dev stack's config as plain values. */
function devConfig(): Config {
    return Object.fromEntries(Object.entries(stackConfig("dev")).map(([key, value]) => [key, JSON.parse(value)]));
}

/** `config` as Pulumi hands it to the program: objects as JSON. */
function raw(config: Config): Record<string, string> {
    return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
}

const noSecrets = () => false;

/**
 * Runs the stack program on `config` under mocks; returns the error it stopped with and how
 * many resources were registered.
 */
async function run(config: Config, isSecret: (key: string) => boolean = noSecrets): Promise<{ error?: unknown; registered: string[] }> {
    const log = await installMocks();
    await settled(log);
    log.clear();
    let error: unknown;
    try {
        deployMesh(parseEnvironment(raw(config), isSecret), "dev");
    } catch (caught) {
        error = caught;
    }
    await settled(log);
    return { error, registered: log.resources.map((r) => `${r.type} ${r.name}`) };
}

/** The ConfigError message for `config`, after asserting that nothing was registered. */
async function configError(config: Config, isSecret?: (key: string) => boolean): Promise<string> {
    const { error, registered } = await run(config, isSecret);
    assert.ok(error, `the configuration was accepted (registered ${registered.length} resources)`);
    assert.ok(error instanceof ConfigError && error instanceof pulumi.RunError, `a ConfigError, not ${(error as Error).stack ?? String(error)}`);
    assert.deepStrictEqual(registered, [], "no resource is registered before the error");
    return error.message;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-hostile-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A new folder under the scratch folder with `files` (relative path → content) in it. */
function folderWith(name: string, files: Record<string, string>): string {
    const folder = path.join(scratch, name);
    for (const [file, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
        fs.writeFileSync(path.join(folder, file), content);
    }
    fs.mkdirSync(folder, { recursive: true });
    return folder;
}

const calico = (edit: (calico: Config) => void) => (config: Config) => edit(config["ztmesh:calico"]);
const istio = (edit: (istio: Config) => void) => (config: Config) => edit(config["ztmesh:istio"]);
const gateway = (edit: (gateway: Config) => void) => (config: Config) => edit(config["ztmesh:gateway"]);
const listenerTls = (tls: Config) => gateway((g) => { g.listeners[0].tls = tls; });
const services = (edit: (services: Config[]) => void) => (config: Config) => edit(config["ztmesh:services"]);
const renderDirectory = (folder: string) => (config: Config) => { config["ztmesh:cluster"] = { renderDirectory: folder }; };

/** [what, change to the dev config, the message naming the key and the fix]. */
const table: [string, (config: Config) => void, RegExp][] = [
    // Calico: what the Tigera operator's IPPool validation refuses, found after the operator is installed.
    ["calico blockSize outside Calico's range", calico((c) => { c.ipPools = [{ cidr: "10.244.0.0/16", blockSize: 99 }]; }),
        /ztmesh:calico\.ipPools\[0\]\.blockSize: 99 is not a block size for an IPv4 pool; use a prefix length from 20 to 32/],
    ["calico IPv6 blockSize outside Calico's range", calico((c) => { c.ipPools = [{ cidr: "fd00:10::/48", blockSize: 64 }]; }),
        /ztmesh:calico\.ipPools\[0\]\.blockSize: 64 is not a block size for an IPv6 pool; use a prefix length from 116 to 128/],
    ["calico block larger than its pool", calico((c) => { c.ipPools = [{ cidr: "10.244.0.0/24", blockSize: 20 }]; }),
        /ztmesh:calico\.ipPools\[0\]\.blockSize: a \/20 block is larger than the \/24 pool; use a block size of at least 24/],
    ["calico pool that is not a CIDR", calico((c) => { c.ipPools = [{ cidr: "10.244.0.0/33" }]; }),
        /ztmesh:calico\.ipPools\[0\]\.cidr: "10\.244\.0\.0\/33" is not a CIDR; write the pod range with its mask/],
    ["calico pool with host bits", calico((c) => { c.ipPools = [{ cidr: "10.244.7.1/16" }]; }),
        /ztmesh:calico\.ipPools\[0\]\.cidr: "10\.244\.7\.1\/16" has host bits set; write the range from its first address: "10\.244\.0\.0\/16"/],
    ["calico pools that overlap", calico((c) => { c.ipPools = [{ cidr: "10.244.0.0/16" }, { cidr: "10.244.128.0/17" }]; }),
        /ztmesh:calico\.ipPools\[1\]\.cidr: "10\.244\.128\.0\/17" overlaps ipPools\[0\] \("10\.244\.0\.0\/16"\); give each pool a range of its own/],
    ["calico version that is not a release", calico((c) => { c.version = "latest"; }),
        /ztmesh:calico\.version: "latest" is not a Calico release; write an exact release as its chart names it, e\.g\. "v3\.32\.1"/],
    ["calico version older than the CRD chart", calico((c) => { c.version = "v3.29.0"; }),
        /ztmesh:calico\.version: Calico v3\.29\.0 is older than v3\.32/],
    ["calico kubernetesProvider outside the operator's enum", calico((c) => { c.kubernetesProvider = "eks"; }),
        /ztmesh:calico\.kubernetesProvider: "eks" is not a provider the Tigera operator knows; use one of EKS, GKE, AKS, OpenShift, DockerEnterprise, RKE2, TKG, Kind/],

    // Gateway: names that become object names, and where a ReferenceGrant would be written.
    ["gateway TLS secretName that is a path", listenerTls({ secretName: "../../etc/passwd" }),
        /ztmesh:gateway\.listeners\[0\]\.tls\.secretName: "\.\.\/\.\.\/etc\/passwd" is not a DNS-1123 subdomain/],
    ["gateway TLS secret in kube-system", listenerTls({ secretName: "bookinfo-tls", secretNamespace: "kube-system" }),
        /ztmesh:gateway\.listeners\[0\]\.tls\.secretNamespace: "kube-system" is a control-plane namespace; ztmesh would put a ReferenceGrant there; keep the certificate in the gateway's namespace \("istio-ingress"\) or a namespace of its own/],
    ["gateway TLS secretNamespace that is no namespace name", listenerTls({ secretName: "bookinfo-tls", secretNamespace: "../certs" }),
        /ztmesh:gateway\.listeners\[0\]\.tls\.secretNamespace: "\.\.\/certs" is not a DNS-1123 label/],
    ["gateway TLS secret in another namespace in classic mode", (config) => {
        config["ztmesh:istio"].ingressMode = "classic";
        listenerTls({ secretName: "bookinfo-tls", secretNamespace: "certs" })(config);
    }, /ztmesh:gateway\.listeners\[0\]\.tls\.secretNamespace: a classic Istio Gateway reads certificates from its own namespace \("istio-ingress"\) only/],
    ["gateway listener hostname", gateway((g) => { g.listeners[0].hostname = "Bookinfo_ztmesh.local"; }),
        /ztmesh:gateway\.listeners\[0\]\.hostname: "Bookinfo_ztmesh\.local" is not a valid hostname/],
    ["gateway name empty", gateway((g) => { g.name = ""; }),
        /ztmesh:gateway\.name: "" is not a DNS-1123 label/],
    ["gateway namespace with upper case", gateway((g) => { g.namespace = "Istio-Ingress"; }),
        /ztmesh:gateway\.namespace: "Istio-Ingress" is not a DNS-1123 label/],
    ["gateway crdsSource over another scheme", gateway((g) => { g.crdsSource = "file:///etc/passwd"; }),
        /ztmesh:gateway\.crdsSource: "file:\/\/" is not a scheme ztmesh fetches from; use an https:\/\/ URL or a local path/],
    ["gateway crdsSource over plain HTTP", gateway((g) => { g.crdsSource = "http://mirror.example.com/standard-install.yaml"; }),
        /ztmesh:gateway\.crdsSource: "http:\/\/" is not a scheme ztmesh fetches from \(plain HTTP can be tampered with on the way\)/],
    ["gateway crdsSource file that does not exist", gateway((g) => { g.crdsSource = "crds/gateway-api.yaml"; }),
        new RegExp(`ztmesh:gateway\\.crdsSource: "crds/gateway-api\\.yaml" \\(${projectRoot}/crds/gateway-api\\.yaml\\) does not exist`)],

    // Istio.
    ["istiodReplicas zero", istio((i) => { i.istiodReplicas = 0; }),
        /ztmesh:istio\.istiodReplicas: 0 is not a replica count; use a whole number of at least 1/],
    ["istiodReplicas fractional", istio((i) => { i.istiodReplicas = 1.5; }),
        /ztmesh:istio\.istiodReplicas: 1\.5 is not a replica count/],
    ["istio revision that is no DNS label", istio((i) => { i.revision = "1-30.3"; }),
        /ztmesh:istio\.revision: "1-30\.3" is not a DNS-1123 label/],
    ["istio platform the charts do not know", istio((i) => { i.platform = "eks"; }),
        /ztmesh:istio\.platform: "eks" is not a platform the Istio charts know; use one of gke, k3d, k3s, microk8s, minikube, openshift/],
    ["istio accessLogFile into the proxy's credentials", istio((i) => { i.accessLogFile = "/var/run/secrets/workload-spiffe-credentials/cert-chain.pem"; }),
        /ztmesh:istio\.accessLogFile: "\/var\/run\/secrets\/workload-spiffe-credentials\/cert-chain\.pem" is inside the proxy's own configuration and credentials/],
    ["istio accessLogFile relative", istio((i) => { i.accessLogFile = "../access.log"; }),
        /ztmesh:istio\.accessLogFile: "\.\.\/access\.log" is not an absolute, normalised file path/],
    ["istio version that is not a release", istio((i) => { i.version = "1.30"; }),
        /ztmesh:istio\.version: "1\.30" is not an Istio release/],
    ["istio trustDomain that is no DNS name", istio((i) => { i.trustDomain = "cluster.local/ns/x"; }),
        /ztmesh:istio\.trustDomain: "cluster\.local\/ns\/x" is not a trust domain/],

    // Services: each component problem under the key the user wrote.
    ["service name empty", services((s) => { s[3].name = ""; }),
        /ztmesh:services\[3\]\.name: "" is not a DNS-1123 label/],
    ["caller port the service does not have", services((s) => { s[2].callers[0].ports = ["grpc"]; }),
        /ztmesh:services\[2\]\.callers\[0\]\.ports\[0\]: service "reviews" has no port "grpc"; use one of "http"/],
    ["service namespace with upper case", services((s) => { s[3].namespace = "Ratings"; }),
        /ztmesh:services\[3\]\.namespace: "Ratings" is not a DNS-1123 label/],
    ["caller identity derived from the calling service's serviceAccount", services((s) => { s[2].serviceAccount = "bookinfo_reviews"; }),
        /ztmesh:services\[2\]\.serviceAccount: "bookinfo_reviews" is not a DNS-1123 label/],
    ["public port empty (it meant the default port)", services((s) => { s[0].public.port = ""; }),
        /ztmesh:services\[0\]\.public\.port: is empty; give a value or leave the key out/],
    ["version image empty", services((s) => { s[1].versions[0].image = ""; }),
        /ztmesh:services\[1\]\.versions\[0\]\.image: is empty; give a value or leave the key out/],

    // The rest of the config.
    ["extra manifest empty", (config) => { config["ztmesh:manifests"] = [""]; },
        /ztmesh:manifests\[0\]: is empty/],
    ["extra manifest over another scheme", (config) => { config["ztmesh:manifests"] = ["file:///etc/shadow"]; },
        /ztmesh:manifests\[0\]: "file:\/\/" is not a scheme ztmesh fetches from/],
    ["extra manifest over plain HTTP", (config) => { config["ztmesh:manifests"] = ["http://example.com/team.yaml"]; },
        /ztmesh:manifests\[0\]: "http:\/\/" is not a scheme ztmesh fetches from/],
    ["chart mirror over plain HTTP", (config) => { config["ztmesh:charts"] = { istioRepository: "http://charts.example.com/istio" }; },
        /ztmesh:charts\.istioRepository: "http:\/\/" is not a scheme ztmesh fetches from[^;]*; use an https:\/\/ URL or an oci:\/\/ URL/],
    ["chart folder empty", (config) => { config["ztmesh:charts"] = { localDirectory: "" }; },
        /ztmesh:charts\.localDirectory: is empty/],
    ["control-plane namespace that is no namespace name", (config) => { config["ztmesh:baseline"] = { controlPlaneNamespaces: ["kube system"] }; },
        /ztmesh:baseline\.controlPlaneNamespaces\[0\]: must be a DNS-1123 label/],
    ["API server range that is not a CIDR", (config) => { config["ztmesh:baseline"] = { apiServerCidrs: ["10.96.0.1"] }; },
        /ztmesh:baseline\.apiServerCidrs\[0\]: "10\.96\.0\.1" is not a CIDR/],
    ["API server range with host bits", (config) => { config["ztmesh:baseline"] = { apiServerCidrs: ["172.18.0.2/16"] }; },
        /ztmesh:baseline\.apiServerCidrs\[0\]: "172\.18\.0\.2\/16" has host bits set; write the range from its first address: "172\.18\.0\.0\/16"/],
    ["cluster policy mode that does not exist", (config) => { config["ztmesh:baseline"] = { clusterPolicy: "ClusterNetworkPolicy" }; },
        /ztmesh:baseline\.clusterPolicy: "ClusterNetworkPolicy" is not a cluster policy mode; use one of "calico", "clusterNetworkPolicy" \(default "calico"\)/],
    ["cluster policy mode of another type", (config) => { config["ztmesh:baseline"] = { clusterPolicy: true }; },
        /ztmesh:baseline\.clusterPolicy: true is not a cluster policy mode; use one of "calico", "clusterNetworkPolicy"/],
    ["monitoring in clusterNetworkPolicy mode without the API server's ranges", (config) => {
        config["ztmesh:baseline"] = { clusterPolicy: "clusterNetworkPolicy" };
        config["ztmesh:monitoring"] = { namespace: "monitoring", serviceAccount: "prometheus", podLabels: { "app.kubernetes.io/name": "prometheus" } };
    }, /ztmesh:baseline\.apiServerCidrs: is required with monitoring in clusterNetworkPolicy mode: .*; set the API server's source ranges, or use the calico mode/],
    ["cluster context empty (it rendered instead)", (config) => { config["ztmesh:cluster"] = { context: "" }; },
        /ztmesh:cluster\.context: is empty/],

    // Where a render writes.
    ["renderDirectory climbing out of the project", renderDirectory("../../.."),
        /ztmesh:cluster\.renderDirectory: "\.\.\/\.\.\/\.\." \([^)]*\) is not a folder inside the project; a relative path is resolved against the project root and stays below it, write an absolute path to render elsewhere/],
    ["renderDirectory /", renderDirectory("/"),
        /ztmesh:cluster\.renderDirectory: "\/" \(\/\) is not empty and is no ztmesh render \(it has no \.ztmesh-render file\)/],
    ["renderDirectory /etc", renderDirectory("/etc"),
        /ztmesh:cluster\.renderDirectory: "\/etc" \(\/etc\) is not empty and is no ztmesh render/],
    ["renderDirectory that is the project itself", renderDirectory("."),
        /ztmesh:cluster\.renderDirectory: "\." \([^)]*\) is not a folder inside the project/],
    ["renderDirectory holding someone's files", renderDirectory(folderWith("notes", { "todo.txt": "keep me" })),
        /ztmesh:cluster\.renderDirectory: "[^"]*notes" \([^)]*\) is not empty and is no ztmesh render/],
    ["renderDirectory holding another stack's render", renderDirectory(folderWith("prod-render", { ".ztmesh-render": JSON.stringify({ renderedBy: "ztmesh", stack: "prod" }) })),
        /ztmesh:cluster\.renderDirectory: "[^"]*prod-render" \([^)]*\) holds the render of stack "prod"; give each stack a folder of its own/],
    ["renderDirectory that is a file", renderDirectory(path.join(folderWith("file-parent", { "render.yaml": "" }), "render.yaml")),
        /ztmesh:cluster\.renderDirectory: "[^"]*render\.yaml" \([^)]*\) is a file, not a folder/],
];

describe("hostile stack configuration: one config error naming the key, before any resource", () => {
    it("the dev stack itself registers its resources (the harness sees registrations)", async () => {
        const { error, registered } = await run(devConfig());
        assert.strictEqual(error, undefined);
        assert.ok(registered.length > 20, `registered ${registered.length}`);
    });

    for (const [what, edit, expected] of table) {
        it(what, async () => {
            const config = devConfig();
            edit(config);
            assert.match(await configError(config), expected);
        });
    }

    it("lists a mistake once, though several components see it (a namespace is the service's and the baseline's)", async () => {
        const config = devConfig();
        services((s) => { s[3].namespace = "Ratings"; })(config);
        const message = await configError(config);
        assert.strictEqual(message.split("ztmesh:services[3].namespace: \"Ratings\" is not a DNS-1123 label").length - 1, 1, message);
    });

    it("names a value the stack derives by the entry it came from, with the component's field", async () => {
        // A dedicated waypoint is named `<service>-waypoint`: a 60-letter service name is a valid
        // label, its waypoint's name is not.
        const longName = "r".repeat(60);
        const config = Object.fromEntries(Object.entries(stackConfig("ambient")).map(([key, value]) => [key, JSON.parse(value)]));
        services((s) => {
            s[2].name = longName;
            s[3].callers[0].service = longName;
        })(config);
        config["ztmesh:istio"].dedicatedWaypoints = [longName];
        const message = await configError(config);
        assert.match(message, new RegExp(`ztmesh:istio\\.dedicatedWaypoints\\[0\\]: "${longName}-waypoint" is not a DNS-1123 label; [^\\n]* \\(Waypoint "bookinfo-${longName}-waypoint", field name\\)`));
    });

    it("lists a caller's port mistake once, at the caller entry, not again as the caller's derived egress", async () => {
        const config = devConfig();
        services((s) => { s[2].callers[0].ports = ["grpc"]; })(config);
        const message = await configError(config);
        assert.deepStrictEqual(message.split("\n").filter((line) => line.includes('no port "grpc"')).length, 1, message);
    });

    it("refuses a \"__proto__\" key, which parsing would drop and so select pods by the other labels alone", () => {
        const config = raw(devConfig());
        // Written as JSON text: in a JavaScript object literal "__proto__" sets the prototype instead of a key.
        config["ztmesh:services"] = config["ztmesh:services"].replace('"versions":[{"name":"v1","image":"docker.io/istio/examples-bookinfo-details-v1:1.20.3"}]', '"existingWorkload":{"podLabels":{"__proto__":"x","app":"details"}}');
        assert.match(config["ztmesh:services"], /__proto__/, "the fixture names details' workload");
        assert.throws(() => parseEnvironment(config), (error: Error) => error instanceof ConfigError
            && /ztmesh:services\[1\]\.existingWorkload\.podLabels: the key "__proto__" cannot be stored/.test(error.message));
    });

    it("refuses two services of one namespace on one ServiceAccount: one principal would carry both services' permissions", () => {
        const config = devConfig();
        config["ztmesh:services"][3].serviceAccount = config["ztmesh:services"][1].serviceAccount;
        assert.throws(() => parseEnvironment(raw(config)), (error: Error) => error instanceof ConfigError
            && /ztmesh:services\[3\]\.serviceAccount: ServiceAccount "bookinfo\/bookinfo-details" is already the identity of ztmesh:services\[1\] \("details"\)/.test(error.message));
        const otherNamespace = devConfig();
        otherNamespace["ztmesh:services"][3].serviceAccount = otherNamespace["ztmesh:services"][1].serviceAccount;
        otherNamespace["ztmesh:services"][3].namespace = "ratings";
        assert.doesNotThrow(() => parseEnvironment(raw(otherNamespace)), "the same name in another namespace is another identity");
    });

    it("reports every problem at once, of the schema's and the components' kinds alike", async () => {
        const config = devConfig();
        calico((c) => { c.ipPools = [{ cidr: "10.244.0.0/16", blockSize: 99 }]; })(config);
        listenerTls({ secretName: "../../etc/passwd" })(config);
        istio((i) => { i.revision = "Canary"; })(config);
        services((s) => { s[2].callers[0].ports = ["grpc"]; })(config);
        const message = await configError(config);
        assert.match(message, /^invalid stack configuration:\n/);
        for (const key of ["calico.ipPools[0].blockSize", "gateway.listeners[0].tls.secretName", "istio.revision", "services[2].callers[0].ports[0]"]) {
            assert.ok(message.includes(`  - ztmesh:${key}: `), `${key} in:\n${message}`);
        }
    });
});

describe("ztmesh:kubeconfig must be a Pulumi secret", () => {
    const kubeconfig = "apiVersion: v1\nkind: Config\nusers: [{name: admin, user: {token: do-not-print}}]\n";

    it("is refused in plain text, without printing it", async () => {
        const message = await configError({ ...devConfig(), "ztmesh:kubeconfig": kubeconfig });
        assert.match(message, /ztmesh:kubeconfig: holds credentials in plain text in the stack's config file; set it as a secret: `pulumi config set --secret ztmesh:kubeconfig < <file>`/);
        assert.doesNotMatch(message, /do-not-print/);
    });

    it("is accepted when Pulumi holds it as a secret, and deploys with it", async () => {
        const { error, registered } = await run({ ...devConfig(), "ztmesh:kubeconfig": kubeconfig }, (key) => key === "ztmesh:kubeconfig");
        assert.strictEqual(error, undefined);
        assert.ok(registered.includes("pulumi:providers:kubernetes cluster"), registered.join("\n"));
    });

    describe("the program reads which keys are secret from the Pulumi runtime (PULUMI_CONFIG_SECRET_KEYS)", () => {
        // Charts from a folder and the CRDs from a file: nothing to download.
        const offline = () => ({
            ...devConfig(),
            "ztmesh:kubeconfig": kubeconfig,
            "ztmesh:charts": { localDirectory: "/opt/charts" },
            "ztmesh:gateway": { ...devConfig()["ztmesh:gateway"], crdsSource: path.join(projectRoot, "..", "shared", "crds", "gateway-api-v1.5.1-standard.yaml") },
        });
        const program = async (secretKeys: string[]) => {
            await installMocks();
            pulumi.runtime.setAllConfig(raw(offline()), secretKeys);
            // Imported only now: the program reads config when it runs.
            const stack = require("../../stacks") as () => Promise<unknown>;
            return stack();
        };

        it("refuses the kubeconfig when the CLI did not mark it secret", async () => {
            await assert.rejects(program([]), (error: Error) => error instanceof ConfigError && /ztmesh:kubeconfig: holds credentials in plain text/.test(error.message));
        });

        it("accepts it when the CLI marked it secret", async () => {
            const log = await installMocks();
            await settled(log);
            log.clear();
            await program(["ztmesh:kubeconfig"]);
            await settled(log);
            const provider = log.resources.find((r) => r.type === "pulumi:providers:kubernetes");
            assert.strictEqual(provider?.name, "cluster");
        });
    });
});

describe("ztmesh:cluster.renderDirectory", () => {
    it("resolves a relative folder against the project root, not the working directory", async () => {
        const cwd = process.cwd();
        process.chdir(scratch);
        try {
            const config = devConfig();
            renderDirectory("rendered/review")(config);
            const mesh = deployMesh(parseEnvironment(raw(config)), "dev");
            assert.strictEqual(mesh.renderDirectory, path.join(projectRoot, "rendered", "review"));
        } finally {
            process.chdir(cwd);
            await settled(await installMocks());
        }
    });

    for (const [what, files] of [
        ["a new folder", undefined],
        ["an empty folder", {}],
        ["a previous render of the same stack", { ".ztmesh-render": JSON.stringify({ renderedBy: "ztmesh", stack: "dev" }), "1-manifest/v1-namespace-bookinfo.yaml": "kind: Namespace\n" }],
        ["a render from before the marker: only the provider's 0-crd/ and 1-manifest/ of YAML files", { "0-crd/crd.yaml": "kind: CustomResourceDefinition\n", "1-manifest/ns.yaml": "kind: Namespace\n" }],
    ] as [string, Record<string, string> | undefined][]) {
        it(`renders into ${what}`, async () => {
            const folder = files === undefined ? path.join(scratch, "new", "rendered") : folderWith(what.replace(/\W+/g, "-"), files);
            const config = devConfig();
            renderDirectory(folder)(config);
            const { error } = await run(config);
            assert.strictEqual(error, undefined, String(error));
        });
    }
});
