import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../analysis/cli";
import { flowsJsonParts, flowsToJson, formatFlows } from "../../analysis/flowFormat";
import { loadManifests, parseManifests } from "../../analysis/manifests";
import { publicFlows, reachability } from "../../analysis/reach";
import { cluster } from "./istioFixture";

/**
 * A listing longer than one output chunk (about a megabyte): 160 workloads that no policy
 * isolates, each reaching every other one and the outside, about 26,000 lines.
 */
function openCluster(): string {
    return Array.from({ length: 160 }, (_, i) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: workload-${i}, namespace: team-${Math.floor(i / 10)}}
spec:
  selector: {matchLabels: {app: app-${i}}}
  template:
    metadata: {labels: {app: app-${i}}}
    spec: {containers: [{name: main, image: example/app:1}]}
`).join("---\n");
}

describe("ztmesh reach: a long listing, written in chunks", () => {
    let folder: string;
    let expected: string;
    before(() => {
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-cli-output-"));
        fs.writeFileSync(path.join(folder, "cluster.yaml"), openCluster());
        expected = formatFlows(reachability(loadManifests(folder)));
    });
    after(() => fs.rmSync(folder, { recursive: true, force: true }));

    it("prints every line once, in order, in whole lines per chunk", async () => {
        assert.ok(expected.length > 1.5 * (1 << 20), `the listing is only ${expected.length} characters`);
        const chunks: string[] = [];
        const code = await main(["reach", path.join(folder, "cluster.yaml")], { stdout: (text) => chunks.push(text), stderr: assert.fail });
        assert.strictEqual(code, 0);
        assert.ok(chunks.length >= 2, `one chunk of ${chunks[0]?.length} characters`);
        assert.ok(chunks.every((chunk) => chunk.endsWith("\n")), "a chunk ends inside a line");
        assert.strictEqual(chunks.join(""), expected);
    });

    it("writes the same to --output", async () => {
        const output = path.join(folder, "flows.txt");
        let stderr = "";
        const code = await main(["reach", path.join(folder, "cluster.yaml"), "--output", output], { stdout: assert.fail, stderr: (text) => { stderr += text; } });
        assert.strictEqual(code, 0, stderr);
        assert.strictEqual(stderr, `ztmesh reach: wrote ${output}\n`);
        assert.strictEqual(fs.readFileSync(output, "utf8"), expected);
    });
});

/** A public route, layer 7 grants and a note (a Calico http match) on the Istio tests' cluster. */
const routedCluster = `${cluster}
---
apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: bookinfo}
spec: {selector: {app: productpage}, ports: [{name: http, port: 80, targetPort: 9080}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: bookinfo}
spec:
  gatewayClassName: istio
  listeners: [{name: web, port: 80, protocol: HTTP, hostname: shop.example.com}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: bookinfo}
spec:
  parentRefs: [{name: public}]
  rules: [{matches: [{path: {type: PathPrefix, value: /products}}], backendRefs: [{name: productpage, port: 80}]}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: reviews-no-admin, namespace: bookinfo}
spec:
  selector: app == "reviews"
  types: [Ingress]
  ingress: [{action: Deny, protocol: TCP, http: {paths: [{exact: /admin}]}}, {action: Allow}]
`;

describe("ztmesh reach --json: written a flow at a time, the same document as before", () => {
    const stringified = (objects: ReturnType<typeof parseManifests>) => {
        const flows = reachability(objects);
        return { flows, routes: publicFlows(objects, flows), text: `${JSON.stringify(flowsToJson(flows, publicFlows(objects, flows)), null, 2)}\n` };
    };

    it("is byte for byte JSON.stringify(..., null, 2) with routes, layer 7 grants and notes, and with no flow", () => {
        const { flows, routes, text } = stringified(parseManifests(routedCluster, "routed.yaml"));
        const document = JSON.parse(text) as { routes?: unknown[]; flows: { l7?: unknown; notes?: unknown }[] };
        assert.ok(document.routes?.length && document.flows.some((flow) => flow.l7) && document.flows.some((flow) => flow.notes), "the fixture has routes, grants and notes");
        assert.strictEqual(Array.from(flowsJsonParts(flows, routes)).join(""), text);
        assert.strictEqual(Array.from(flowsJsonParts([], [])).join(""), `${JSON.stringify(flowsToJson([], []), null, 2)}\n`);
        assert.strictEqual(Array.from(flowsJsonParts([], routes)).join(""), `${JSON.stringify(flowsToJson([], routes), null, 2)}\n`);
    });

    it("prints the same document as chunks of whole flows", async () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-cli-json-"));
        try {
            const file = path.join(folder, "cluster.yaml");
            fs.writeFileSync(file, openCluster());
            const chunks: string[] = [];
            const code = await main(["reach", file, "--json"], { stdout: (text) => chunks.push(text), stderr: assert.fail });
            assert.strictEqual(code, 0);
            assert.ok(chunks.length >= 2, `one chunk of ${chunks[0]?.length} characters`);
            assert.ok(chunks.every((chunk) => chunk.endsWith("\n")), "a chunk ends inside a line");
            assert.strictEqual(chunks.join(""), stringified(loadManifests(file)).text);
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });
});
