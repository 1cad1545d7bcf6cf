import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dump } from "js-yaml";
import { enforcementImpact, EnforcementImpact } from "../../analysis/enforcement/impact";
import { impactText } from "../../analysis/enforcement/impactText";
import { flowsJsonParts } from "../../analysis/flowFormat";
import { KubeObject } from "../../analysis/manifests";
import { ObservedFlowError } from "../../analysis/observed/observedFlow";
import { readObserved } from "../../analysis/observed/readObserved";
import { analysedObjects } from "../../analysis/reach";
import { reportModel } from "../../analysis/report/model";
import { renderPage } from "../../analysis/report/page";
import { reachability } from "../../analysis/reach";
import { auditObjects, devStackObjects, runningPods } from "../harness/auditStack";
import { parseEnvironment } from "../../stacks/config";
import { stackObjects } from "../../stacks/offline";
import { editedConfig, kubeconfigIsSecret, projectRoot, stackConfig } from "../harness/stackConfig";
import { runCli } from "./cliRun";

/**
 * The fixtures (test/fixtures/observed, see its README.md) hold Bookinfo's traffic in each
 * format, with one flow the dev stack does not declare: productpage calling ratings.
 */
const fixtures = path.join(projectRoot, "test", "fixtures", "observed");
const ztmeshFile = path.join(fixtures, "bookinfo.ztmesh.jsonl");
const calicoFile = path.join(fixtures, "goldmane-flows.jsonl");
const envoyFile = path.join(fixtures, "istio-proxy.log");

const undeclared = "bookinfo/productpage-v1[Deployment] => bookinfo/ratings-v1[Deployment] : TCP 9080";
/** What cuts it as enforced: both sides' staged NetworkPolicies and ratings' dry-run AuthorizationPolicies. */
const cutBy = [
    /^egress of bookinfo\/productpage-v1\[Deployment\]: everything denied at the end of tier default \(selected by .*NetworkPolicy bookinfo\/productpage/,
    /^ingress of bookinfo\/ratings-v1\[Deployment\]: everything denied at the end of tier default \(selected by .*NetworkPolicy bookinfo\/ratings/,
    /^sidecar of bookinfo\/ratings-v1\[Deployment\]: no rule of (?=.*AuthorizationPolicy bookinfo\/allow-nothing)(?=.*AuthorizationPolicy bookinfo\/ratings,? ).*admits bookinfo\/productpage-v1\[Deployment\]$/,
];
const missingCaller = { service: "productpage", methods: ["GET"], paths: ["/ratings/0"] };

function read(files: readonly string[]): { flows: ReturnType<typeof readObserved>; warnings: string[] } {
    const warnings: string[] = [];
    return { flows: readObserved(files, (message) => warnings.push(message)), warnings };
}

function assertOnlyTheUndeclaredFlow(impact: EnforcementImpact, requests: readonly object[], callers: object): void {
    assert.deepStrictEqual(impact.cut.map((flow) => `${flow.src} => ${flow.dst} : ${flow.protocol} ${flow.port}`), [undeclared]);
    assert.deepStrictEqual(impact.cut[0].requests, requests);
    assert.strictEqual(impact.cut[0].explanation.length, cutBy.length, impact.cut[0].explanation.join("\n"));
    impact.cut[0].explanation.forEach((sentence, index) => assert.match(sentence, cutBy[index]));
    // Which staged and dry-run policies the sentences name as enforced, in both API groups the fixture uses.
    for (const observing of ["NetworkPolicy bookinfo/ratings is StagedKubernetesNetworkPolicy bookinfo/ratings",
        "GlobalNetworkPolicy default.ztmesh-default-deny is StagedGlobalNetworkPolicy default.ztmesh-default-deny",
        `AuthorizationPolicy bookinfo/ratings is AuthorizationPolicy bookinfo/ratings (istio.io/dry-run: "true")`]) {
        assert.ok(impact.cut[0].observing.includes(observing), impact.cut[0].observing.join("\n"));
    }
    assert.deepStrictEqual(impact.declarations, [{ name: "ratings", namespace: "bookinfo", callers: [callers] }]);
    assert.deepStrictEqual([impact.deniedNow, impact.undeclarable, impact.unresolved], [[], [], []]);
}

describe("enforcement impact: observed flows the as-enforced view would cut, and the declarations that keep them", () => {
    let dev: KubeObject[];
    let audit: KubeObject[];
    let declaredAudit: KubeObject[];
    before(async () => {
        dev = await devStackObjects();
        // The dev stack in audit mode, with a running pod of each workload (their addresses map the access logs).
        audit = [...auditObjects(dev), ...runningPods(analysedObjects(dev))];
        const declared = await devStackObjects(editedConfig("dev", "ztmesh:services", (services) => services.map((service: { name: string; callers?: object[] }) =>
            (service.name === "ratings" ? { ...service, callers: [...(service.callers ?? []), missingCaller] } : service))));
        declaredAudit = [...auditObjects(declared), ...runningPods(analysedObjects(declared))];
    });

    it("ztmesh's JSON Lines: names and addresses; exactly the undeclared flow, explained, and exactly the missing callers entry", () => {
        const { flows, warnings } = read([ztmeshFile]);
        assert.strictEqual(flows.length, 6);
        assert.deepStrictEqual(warnings, []);
        const impact = enforcementImpact(audit, flows);
        assert.strictEqual(impact.observed, 6);
        assertOnlyTheUndeclaredFlow(impact, [{ method: "GET", path: "/ratings/0" }], missingCaller);
        assert.deepStrictEqual(impact.cut[0].observedAt, [`${ztmeshFile}:6`]);
    });

    it("Calico's flow records (Goldmane's emitter and Whisker): aggregated pod names, both reports of a flow as one; no requests, so the entry restricts none", () => {
        const { flows, warnings } = read([calicoFile]);
        assert.deepStrictEqual(warnings, [`${calicoFile}: 1 record skipped: an endpoint that is no workload (Network); Calico's records carry no address for it`]);
        const impact = enforcementImpact(audit, flows);
        assert.strictEqual(impact.observed, 4, "details, ratings from reviews-v2, ratings from productpage (reported twice), productpage from the gateway (Whisker)");
        assertOnlyTheUndeclaredFlow(impact, [], { service: "productpage" });
        assert.deepStrictEqual(impact.cut[0].observedAt, [`${calicoFile}:3`, `${calicoFile}:4`]);
        assert.deepStrictEqual(impact.cut[0].calico, [
            "enforced: Allow by Profile kns.bookinfo; pending (staged): Deny at the end of tier default (selected by StagedKubernetesNetworkPolicy bookinfo/ratings)",
            "enforced: Allow by Profile kns.bookinfo; pending (staged): Deny at the end of tier default (selected by StagedKubernetesNetworkPolicy bookinfo/productpage)",
        ]);
    });

    it("Istio's JSON access log: pods by address, both hops of a gateway's entry, sidecars' outbound and inbound entries; istio-agent's lines counted", () => {
        const { flows, warnings } = read([envoyFile]);
        assert.deepStrictEqual(warnings, [`${envoyFile}: 1 record skipped: not JSON (in an istio-proxy container's log, istio-agent's own lines)`]);
        assert.deepStrictEqual(flows.map((flow) => [flow.src, flow.dst, flow.port, flow.request]), [
            [{ kind: "address", address: "203.0.113.7" }, { kind: "address", address: "10.244.1.20" }, 80, { method: "GET", path: "/productpage" }],
            [{ kind: "address", address: "10.244.1.20" }, { kind: "address", address: "10.244.1.11" }, 9080, { method: "GET", path: "/productpage" }],
            [{ kind: "address", address: "10.244.1.11" }, { kind: "address", address: "10.244.1.14" }, 9080, { method: "GET", path: "/reviews/0" }],
            [{ kind: "address", address: "10.244.1.14" }, { kind: "address", address: "10.244.1.16" }, 9080, { method: "GET", path: "/ratings/0" }],
            [{ kind: "address", address: "10.244.1.11" }, { kind: "address", address: "10.244.1.16" }, 9080, { method: "GET", path: "/ratings/0" }],
        ]);
        const impact = enforcementImpact(audit, flows);
        assertOnlyTheUndeclaredFlow(impact, [{ method: "GET", path: "/ratings/0" }], missingCaller);
    });

    it("all three together: one cut flow observed in each, the access log's requests in the entry; with the entry declared, the impact is empty", () => {
        const { flows } = read([ztmeshFile, calicoFile, envoyFile]);
        const impact = enforcementImpact(audit, flows);
        assertOnlyTheUndeclaredFlow(impact, [{ method: "GET", path: "/ratings/0" }], missingCaller);
        assert.deepStrictEqual(impact.cut[0].observedAt, [`${ztmeshFile}:6`, `${calicoFile}:3`, `${calicoFile}:4`, `${envoyFile}:5`]);
        assert.match(impactText(impact), /\n {2}ztmesh:services:\n {4}- name: ratings\n {6}namespace: bookinfo\n {6}callers:\n {8}- service: productpage\n {10}methods: \[GET\]\n {10}paths: \[\/ratings\/0\]\n/);
        const page = renderPage(reportModel(audit, reachability(audit), { title: "t", source: "s", impact }));
        assert.match(page, /<section id="impact"><h2>Would be denied when enforced<\/h2>.*bookinfo\/productpage-v1\[Deployment\] =&#62; bookinfo\/ratings-v1\[Deployment\] : TCP 9080 \[GET \/ratings\/0\]/s);
        assert.match(page, /<pre>ztmesh:services:\n {2}- name: ratings/);
        const json = JSON.parse(Array.from(flowsJsonParts([], [], [], { impact })).join(""));
        assert.deepStrictEqual(json.impact.declarations, [{ name: "ratings", namespace: "bookinfo", callers: [missingCaller] }]);

        const declared = enforcementImpact(declaredAudit, flows);
        assert.deepStrictEqual([declared.cut, declared.deniedNow, declared.declarations, declared.undeclarable, declared.unresolved], [[], [], [], [], []]);
        assert.strictEqual(declared.observed, impact.observed);
    });

    it("on the audit stack as it renders (Pulumi.audit.yaml), all three formats: exactly the undeclared flow, cut by the dry-run policies' own names, and exactly the missing entry; with it added to the stack, the impact is empty", async () => {
        const rendered = async (config: Record<string, string>) => {
            const objects = await stackObjects(parseEnvironment(config, kubeconfigIsSecret), "audit");
            return [...objects, ...runningPods(analysedObjects(objects))];
        };
        const { flows } = read([ztmeshFile, calicoFile, envoyFile]);
        const impact = enforcementImpact(await rendered(stackConfig("audit")), flows);
        assert.deepStrictEqual(impact.cut.map((flow) => `${flow.src} => ${flow.dst} : ${flow.protocol} ${flow.port}`), [undeclared]);
        assert.deepStrictEqual(impact.cut[0].requests, [{ method: "GET", path: "/ratings/0" }]);
        const explanation = impact.cut[0].explanation;
        assert.strictEqual(explanation.length, 3, explanation.join("\n"));
        assert.match(explanation[0], cutBy[0]);
        assert.match(explanation[1], cutBy[1]);
        assert.match(explanation[2], /^sidecar of bookinfo\/ratings-v1\[Deployment\]: no rule of (?=.*AuthorizationPolicy bookinfo\/allow-nothing-dry-run)(?=.*AuthorizationPolicy bookinfo\/ratings-dry-run).*admits bookinfo\/productpage-v1\[Deployment\]$/);
        assert.deepStrictEqual(impact.declarations, [{ name: "ratings", namespace: "bookinfo", callers: [missingCaller] }]);
        // The stack stages every policy that isolates an audited pod, so nothing observed is denied now.
        assert.deepStrictEqual([impact.deniedNow, impact.undeclarable, impact.unresolved], [[], [], []]);

        const declared = enforcementImpact(await rendered(editedConfig("audit", "ztmesh:services", (services) => services.map((service: { name: string; callers?: object[] }) =>
            (service.name === "ratings" ? { ...service, callers: [...(service.callers ?? []), missingCaller] } : service)))), flows);
        assert.deepStrictEqual([declared.cut, declared.deniedNow, declared.declarations, declared.undeclarable, declared.unresolved], [[], [], [], [], []]);
    });

    it("observed flows the policies enforced now deny already: an allow-only Calico policy left enforced in an audit rollout ends its tier for what it selects", () => {
        // As an audit rendering that keeps the DNS allow enforced: it selects every application pod's egress, so the default tier denies the rest.
        const allowDns = audit.find((object) => object.kind === "StagedGlobalNetworkPolicy" && object.metadata?.name === "default.ztmesh-allow-dns")!;
        const keptEnforced = audit.map((object) => (object === allowDns ? { ...object, kind: "GlobalNetworkPolicy" } : object));
        const impact = enforcementImpact(keptEnforced, read([ztmeshFile]).flows);
        const denied = impact.deniedNow.map((flow) => `${flow.src} => ${flow.dst} : ${flow.protocol} ${flow.port}`);
        assert.ok(denied.includes("bookinfo/productpage-v1[Deployment] => bookinfo/details-v1[Deployment] : TCP 9080"), denied.join("\n"));
        const details = impact.deniedNow.find((flow) => flow.dst === "bookinfo/details-v1[Deployment]")!;
        assert.match(details.explanation[0], /^egress of bookinfo\/productpage-v1\[Deployment\]: .*denied at the end of tier default \(selected by GlobalNetworkPolicy default\.ztmesh-allow-dns/);
        assert.match(impactText(impact), /\ndenied already by the policies enforced now: \d+ of 6 observed flows\n/);
    });

    it("a malformed record stops the read naming file, line, field and fix; a cut-off last line is counted", () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-observed-"));
        const errorOf = (text: string) => {
            const file = path.join(folder, "flows.jsonl");
            fs.writeFileSync(file, text);
            try {
                readObserved([file], () => undefined);
                return "";
            } catch (error) {
                assert.ok(error instanceof ObservedFlowError, String(error));
                return error.message;
            }
        };
        try {
            assert.match(errorOf(`{"src": "a/b", "dst": "a/c", "port": 80}\n{"src": "a/b", "dst": "a/c", "prot": 80}\n`), /flows\.jsonl:2: prot: unknown key; a ztmesh flow has src, dst, port/);
            assert.match(errorOf(`{"src": "a/b", "dst": "a/c", "port": "http"}\n`), /flows\.jsonl:1: port: must be the destination port, a number from 1 to 65535, found "http"/);
            assert.match(errorOf(`{"src": "b", "dst": "a/c", "port": 80}\n`), /:1: src: must be "namespace\/name", "namespace\/name\[Kind\]" or an IP address, found "b"/);
            assert.match(errorOf(`{"Key": {"source_name": "a-*", "source_type": 9, "dest_name": "b", "dest_type": 1}}\n`), /:1: Key\.source_type: must be an EndpointType/);
            assert.match(errorOf(`{"upstream_cluster": "inbound|80||", "downstream_remote_address": "10.0.0.1"}\n`), /:1: downstream_remote_address: must be the caller's address as ADDRESS:PORT, found "10\.0\.0\.1"; Istio's default JSON access log has it/);
            assert.match(errorOf(`{"source": "a"}\n`), /:1: not a flow record of a format ztmesh reads/);
            assert.match(errorOf(`{"src": "a/b",\n{"src": "a/b", "dst": "a/c", "port": 80}\n`), /:1: not a JSON object/);
            const warnings: string[] = [];
            fs.writeFileSync(path.join(folder, "tail.jsonl"), `{"src": "a/b", "dst": "a/c", "port": 80}\n{"src": "a/b", "ds`);
            assert.strictEqual(readObserved([path.join(folder, "tail.jsonl")], (message) => warnings.push(message)).length, 1);
            assert.deepStrictEqual(warnings, [`${path.join(folder, "tail.jsonl")}: 1 record skipped: the last line is cut off (no newline: the log was still being written)`]);
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });

    it("ztmesh reach --observed: the section after the flows; a bad record is exit code 2", async () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-impact-"));
        try {
            fs.writeFileSync(path.join(folder, "audit.yaml"), audit.map((object) => dump(object, { noRefs: true })).join("---\n"));
            const text = await runCli(["reach", folder, "--observed", envoyFile, "--observed", ztmeshFile, "-q"]);
            assert.strictEqual(text.code, 0, text.stderr);
            assert.match(text.stdout, /\nwould be denied when enforced: 1 of \d+ observed flows\n {2}bookinfo\/productpage-v1\[Deployment\] => bookinfo\/ratings-v1\[Deployment\] : TCP 9080 \[GET \/ratings\/0\]/);
            const bad = path.join(folder, "bad.jsonl");
            fs.writeFileSync(bad, `{"src": "bookinfo/productpage-v1", "dst": "bookinfo/ratings-v1"}\n`);
            const refused = await runCli(["reach", folder, "--observed", bad]);
            assert.strictEqual(refused.code, 2);
            assert.match(refused.stderr, /bad\.jsonl:1: port: must be the destination port/);
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });
});
