/** `ztmesh diff --explain` (analysis/diff/explainDiff.ts): what decided each changed pair, before and after. */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { connectivityDiff, diffSides } from "../../analysis/diff/connectivityDiff";
import { explainDiff } from "../../analysis/diff/explainDiff";
import { formatDiff } from "../../analysis/diff/format";
import { KubeObject } from "../../analysis/manifests";
import { parseEnvironment } from "../../stacks/config";
import { stackObjects } from "../../stacks/offline";
import { stackConfig } from "../harness/stackConfig";
import { runCli } from "./cliRun";

const pods = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: c, ports: [{containerPort: 8080}]}]}
`;
const apiFromWeb = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: shop}
spec: {podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}]}]}
`;
const rule = "-".repeat(160);
/** What api-in explains of a caller it admits on 8080, whoever the caller. */
const allowedByApiIn = [
    "Allowed connections:",
    "\tAllowed TCP:[8080] due to the following policies and rules:",
    "\t\tEgress (Allowed) due to the system default (Allow all)",
    "\t\tIngress (Allowed)",
    "\t\t\tNetworkPolicy 'shop/api-in' allows connections by Ingress rule #1",
];

describe("diff --explain", () => {
    let folder: string;
    const write = (name: string, text: string) => {
        fs.writeFileSync(path.join(folder, name), text);
        return path.join(folder, name);
    };

    before(() => {
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-diff-explain-"));
    });

    after(() => fs.rmSync(folder, { recursive: true, force: true }));

    it("txt: the listing unchanged, then each pair's diff line and its netpol-analyzer explanation in dir1 and dir2 (Kubernetes NetworkPolicy input)", async () => {
        const before = write("before.yaml", pods);
        const after = write("after.yaml", pods + apiFromWeb);
        const plain = await runCli(["diff", before, after]);
        const { code, stdout } = await runCli(["diff", before, after, "--explain"]);
        assert.strictEqual(code, 0);
        const changed = "diff-type: changed, source: shop/web[Pod], destination: shop/api[Pod], dir1: All Connections, dir2: TCP 8080";
        const removed = "diff-type: removed, source: 0.0.0.0-255.255.255.255[External], destination: shop/api[Pod], dir1: All Connections, dir2: No Connections";
        assert.strictEqual(stdout, [
            plain.stdout,
            "##########################################################",
            "# Changed connections and their reasons in dir1 and dir2 #",
            "##########################################################",
            rule,
            changed,
            "",
            "dir1: Connections between shop/web[Pod] => shop/api[Pod]:",
            "",
            "All Connections due to the system default (Allow all)",
            "",
            "dir2: Connections between shop/web[Pod] => shop/api[Pod]:",
            "",
            ...allowedByApiIn,
            "",
            "Denied connections:",
            "\tDenied TCP:[1-8079,8081-65535], UDP, SCTP due to the following policies and rules:",
            "\t\tEgress (Allowed) due to the system default (Allow all)",
            "\t\tIngress (Denied)",
            "\t\t\tNetworkPolicy 'shop/api-in' selects shop/api[Pod], and Ingress rule #1 selects shop/web[Pod], but the protocols and ports do not match",
            "",
            rule,
            removed,
            "",
            "dir1: Connections between 0.0.0.0-255.255.255.255[External] => shop/api[Pod]:",
            "",
            "All Connections due to the system default (Allow all)",
            "",
            "dir2: Connections between 0.0.0.0-255.255.255.255[External] => shop/api[Pod]:",
            "",
            "Denied connections:",
            "\tDenied TCP, UDP, SCTP due to the following policies and rules:",
            "\t\tEgress (Allowed) due to the system default (Allow all)",
            "\t\tIngress (Denied)",
            "\t\t\tNetworkPolicy 'shop/api-in' selects shop/api[Pod], but 0.0.0.0-255.255.255.255[External] is not allowed by any Ingress rule",
            "",
            "",
        ].join("\n"));
    });

    it("json: each pair carries its explanation's lines; a workload new on the after side is said not to exist before", async () => {
        const before = write("before-json.yaml", pods + apiFromWeb);
        const after = write("after-json.yaml", `${pods}${apiFromWeb}---\napiVersion: v1\nkind: Pod\nmetadata: {name: new, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: c}]}\n`);
        const { code, stdout } = await runCli(["diff", before, after, "--explain", "-o", "json"]);
        assert.strictEqual(code, 0);
        const document = JSON.parse(stdout) as { diff: { src: string; dst: string; type: string; explanation: { before: string[]; after: string[] } }[] };
        const intoApi = document.diff.find((pair) => pair.src === "shop/new[Pod]" && pair.dst === "shop/api[Pod]");
        assert.ok(intoApi, stdout);
        assert.strictEqual(intoApi.type, "added");
        assert.deepStrictEqual(intoApi.explanation.before, ["Connections between shop/new[Pod] => shop/api[Pod]:", "", "No Connections: shop/new[Pod] does not exist on this side"]);
        assert.deepStrictEqual(intoApi.explanation.after.slice(0, 7), ["Connections between shop/new[Pod] => shop/api[Pod]:", "", ...allowedByApiIn]);
        assert.ok(document.diff.every((pair) => pair.explanation.before.length > 0 && pair.explanation.after.length > 0));
    });

    it("refuses --explain with csv, md, dot and svg (exit 2)", async () => {
        const before = write("a.yaml", pods);
        for (const format of ["csv", "md", "dot", "svg"]) {
            const { code, stderr } = await runCli(["diff", before, before, "--explain", "-o", format]);
            assert.deepStrictEqual([code, /--explain is written in -o txt and json/.test(stderr)], [2, true], format);
        }
    });

    it("on the dev stack (Calico and Istio): removing ratings' AuthorizationPolicy names it before and the allow-nothing policy after, at layer 7", async function () {
        this.timeout(120000);
        const objects = await stackObjects(parseEnvironment(stackConfig("dev")), "dev");
        const edited = objects.filter((object: KubeObject) => !(object.kind === "AuthorizationPolicy" && object.metadata?.namespace === "bookinfo" && object.metadata.name === "ratings"));
        const [beforeSide, afterSide] = diffSides(objects, edited);
        const diff = connectivityDiff(beforeSide, afterSide);
        assert.deepStrictEqual(diff.removed.map((pair) => `${pair.src.name} => ${pair.dst.name}`), ["v1", "v2", "v3"].map((version) => `bookinfo/reviews-${version}[Deployment] => bookinfo/ratings-v1[Deployment]`));
        const explanations = explainDiff(diff, { objects, flows: beforeSide.flows }, { objects: edited, flows: afterSide.flows });
        for (const pair of diff.removed) {
            const explanation = explanations.get(pair);
            assert.ok(explanation);
            const layer7 = (text: string) => text.split("\n").find((line) => line.startsWith("\tLayer 7: "));
            assert.strictEqual(layer7(explanation.before), "\tLayer 7: sidecar of bookinfo/ratings-v1[Deployment]: ALLOW by AuthorizationPolicy bookinfo/ratings");
            assert.strictEqual(layer7(explanation.after), `\tLayer 7: sidecar of bookinfo/ratings-v1[Deployment]: no rule of AuthorizationPolicy bookinfo/allow-nothing admits ${pair.src.name}`);
            assert.match(explanation.before, /\n\nAllowed connections: TCP 9080\n/);
            assert.match(explanation.after, /\n\nDenied connections: All Connections\n/);
        }
        const text = formatDiff(diff, { explanations });
        assert.strictEqual(text.split(`${rule}\n`).length, 4, "one block per removed pair");
    });
});
