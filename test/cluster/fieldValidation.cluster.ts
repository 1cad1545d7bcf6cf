/**
 * `--field-validation warn` against the real thing: each object is created on kube-apiserver
 * v1.36.3 with `?fieldValidation=Warn`, as `kubectl apply --validate=warn` creates it, and the
 * unknown fields the server names in its Warning headers and leaves out of what it stores must
 * be those ztmesh warns about and drops — for built-in kinds (dropped while decoding) and for a
 * custom resource (pruned by its structural schema).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { readManifests } from "../../analysis/manifests";
import { crdFile } from "../e2e/stackFiles";
import { TestCluster } from "./apiServer";

/** Objects with unknown fields at several depths, and where each is created. */
const objects: { collection: string; object: any }[] = [
    { collection: "/api/v1/namespaces", object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labelz: { a: "b" } } } },
    // The Pod runs as it: with no controller manager, nothing else creates the namespace's default ServiceAccount.
    { collection: "/api/v1/namespaces/shop/serviceaccounts", object: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "shop" }, automountToken: false } },
    {
        collection: "/api/v1/namespaces/shop/pods",
        object: {
            apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
            spec: { containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 8080, containerport: 8080, name: "http" }] }], restartpolicy: "Never" },
        },
    },
    {
        collection: "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies",
        object: {
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "web-in", namespace: "shop" },
            spec: { podSelector: { matchLabels: { app: "web" } }, polictTypes: ["Ingress", "Egress"], ingress: [{ ports: [{ port: 8080, protcol: "TCP" }] }] },
        },
    },
    {
        collection: "/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies",
        object: {
            apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "web", namespace: "shop" },
            spec: { selector: { matchLabels: { app: "web" } }, actoin: "DENY", rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/api"], principal: "x" } }] }] },
        },
    },
];

describe("cluster: --field-validation warn drops what kube-apiserver v1.36.3 drops, and warns about the same fields", function () {
    this.timeout(600_000);
    let cluster: TestCluster;
    let ca: Buffer;
    let token: string;

    /** A request to the API server: its status, Warning headers and parsed body. */
    function request(method: string, url: string, body?: unknown): Promise<{ status: number; warnings: string[]; body: any }> {
        return new Promise((resolve, reject) => {
            const sent = https.request(`${cluster.server}${url}`, { method, ca, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" } }, (response) => {
                let text = "";
                response.setEncoding("utf8");
                response.on("data", (chunk) => { text += chunk; });
                response.on("end", () => {
                    const header = response.headers.warning;
                    const warnings = header === undefined ? [] : Array.isArray(header) ? header : [header];
                    resolve({ status: response.statusCode ?? 0, warnings, body: JSON.parse(text) });
                });
            });
            sent.on("error", reject);
            sent.end(body === undefined ? undefined : JSON.stringify(body));
        });
    }

    before(async () => {
        cluster = await TestCluster.start();
        ca = fs.readFileSync(path.join(cluster.directory, "certs", "apiserver.crt"));
        token = cluster.kubeconfig.getCurrentUser()!.token!;
        await cluster.apply([crdFile("istio-1.30.3-crds.yaml")], (object) => object.metadata?.name === "authorizationpolicies.security.istio.io");
        await cluster.crdsEstablished();
    });

    after(async () => {
        await cluster?.stop();
    });

    it("for a Namespace, a Pod, a NetworkPolicy and an AuthorizationPolicy", async () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-fields-cluster-"));
        try {
            const file = path.join(folder, "objects.json");
            fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects.map(({ object }) => object) }));
            const ours: string[] = [];
            const read = readManifests([file], (message) => ours.push(message), { fieldValidation: "warn" });
            for (const [index, { collection, object }] of objects.entries()) {
                const created = await request("POST", `${collection}?fieldValidation=Warn`, object);
                assert.strictEqual(created.status, 201, JSON.stringify(created.body));
                // The server's warnings: 299 - "unknown field \"spec.containers[0].ports[0].containerport\"".
                const serverFields = created.warnings.flatMap((warning) => warning.split(/,(?=\s*299 )/))
                    .map((warning) => /unknown field \\"([^"\\]+)\\"/.exec(warning)?.[1]).filter((field): field is string => field !== undefined).sort();
                const name = `${object.kind} ${object.metadata.namespace === undefined ? "" : `${object.metadata.namespace}/`}${object.metadata.name}`;
                const ourFields = ours.filter((line) => line.includes(`: ${name}: `)).map((line) => /: ([^ ]+): unknown field, dropped/.exec(line)![1]).sort();
                assert.ok(serverFields.length > 0, `${name}: the server named no unknown field: ${created.warnings.join(" | ")}`);
                assert.deepStrictEqual(ourFields, serverFields, name);
                // What both store: no trace of the dropped fields, every field written otherwise.
                const stored = (await request("GET", `${collection}/${object.metadata.name}`)).body;
                for (const field of serverFields) {
                    const dot = field.lastIndexOf(".");
                    const [parentPath, key] = [dot < 0 ? "" : field.slice(0, dot), field.slice(dot + 1)];
                    const at = (root: any) => (parentPath === "" ? root : parentPath.split(/\.|\[(\d+)\]/).filter(Boolean).reduce((value, segment) => value?.[segment], root));
                    assert.ok(at(stored) !== undefined && !(key in at(stored)), `${name}: the server stored ${field}`);
                    assert.ok(at(read[index].object) !== undefined && !(key in at(read[index].object)), `${name}: ztmesh kept ${field}`);
                }
            }
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });
});
