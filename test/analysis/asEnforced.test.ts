import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dump } from "js-yaml";
import { asEnforcedObjects } from "../../analysis/enforcement/asEnforced";
import { formatFlows } from "../../analysis/flowFormat";
import { KubeObject } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";
import { objectProblem } from "../../analysis/schema/validate";
import { auditObjects, devStackObjects } from "../harness/auditStack";
import { stackConfig } from "../harness/stackConfig";
import { runCli } from "./cliRun";

const lines = (objects: readonly KubeObject[], asEnforced: boolean) => formatFlows(reachability(objects, { asEnforced }), { l7: true }).trim().split("\n");

const pod = (name: string, labels: Record<string, string>): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { namespace: "shop", name, labels }, spec: { containers: [{ name: "app", ports: [{ containerPort: 8080 }] }] } });
const web = pod("web", { app: "web" });
const api = pod("api", { app: "api" });
const denyAll = { podSelector: {}, policyTypes: ["Ingress"] };
const kubernetesDenyAll: KubeObject = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { namespace: "shop", name: "deny" }, spec: denyAll };

describe("ztmesh reach: the enforced view and the as-enforced view (staged Calico policies, dry-run AuthorizationPolicies)", () => {
    let dev: KubeObject[];
    before(async () => {
        dev = await devStackObjects();
    });

    it("the dev stack in audit mode: enforced now, nothing is cut; as enforced, exactly the dev stack's flows", () => {
        const audit = auditObjects(dev);
        assert.deepStrictEqual(lines(audit, true), lines(dev, false));
        const now = lines(audit, false);
        assert.ok(now.includes("bookinfo/details-v1[Deployment] => bookinfo/ratings-v1[Deployment] : All Connections [all requests]"), now.join("\n"));
        // The as-enforced view of an enforce-mode stack is the stack itself.
        assert.deepStrictEqual(asEnforcedObjects(dev), dev);
    });

    it("the audit stack as the components render it (Pulumi.audit.yaml): as enforced, exactly the dev stack's flows", async () => {
        const audit = await devStackObjects(stackConfig("audit"));
        assert.ok(audit.some((object) => object.kind === "StagedKubernetesNetworkPolicy") && audit.some((object) => object.kind === "StagedGlobalNetworkPolicy"));
        assert.deepStrictEqual(lines(audit, true), lines(dev, false));
    });

    it("stagedAction Delete stages the removal of the enforced policy of its name (and kind), in either Calico API group; Set replaces it", () => {
        const calicoDeny: KubeObject = { apiVersion: "projectcalico.org/v3", kind: "NetworkPolicy", metadata: { namespace: "shop", name: "deny" }, spec: { selector: "all()", types: ["Ingress"] } };
        const flowsOf = (objects: KubeObject[], asEnforced: boolean) => reachability([web, api, ...objects], { asEnforced }).length;
        const open = flowsOf([], false);
        assert.strictEqual(flowsOf([kubernetesDenyAll], false), 2, "only egress to External is left");
        const deleteKubernetes: KubeObject = { apiVersion: "crd.projectcalico.org/v1", kind: "StagedKubernetesNetworkPolicy", metadata: { namespace: "shop", name: "deny" }, spec: { stagedAction: "Delete" } };
        assert.strictEqual(flowsOf([kubernetesDenyAll, deleteKubernetes], false), 2, "enforced now: the staged removal changes nothing");
        assert.strictEqual(flowsOf([kubernetesDenyAll, deleteKubernetes], true), open, "as enforced: the NetworkPolicy is gone");
        // The Kubernetes policy's removal leaves Calico's policy of the same name.
        assert.strictEqual(flowsOf([calicoDeny, deleteKubernetes], true), 2);
        const deleteCalico: KubeObject = { apiVersion: "crd.projectcalico.org/v1", kind: "StagedNetworkPolicy", metadata: { namespace: "shop", name: "deny" }, spec: { stagedAction: "Delete", tier: "default" } };
        assert.strictEqual(flowsOf([calicoDeny, deleteCalico], true), open, "a crd.projectcalico.org staged removal of a projectcalico.org policy");
        const setOpen: KubeObject = { apiVersion: "projectcalico.org/v3", kind: "StagedNetworkPolicy", metadata: { namespace: "shop", name: "deny" },
            spec: { selector: "all()", types: ["Ingress"], ingress: [{ action: "Allow" }] } };
        assert.strictEqual(flowsOf([calicoDeny, setOpen], false), 2);
        assert.strictEqual(flowsOf([calicoDeny, setOpen], true), open, "Set: the staged policy replaces the enforced one");
    });

    it("validates the staged kinds against the pinned CRDs' schemas and Calico's rules, naming the field and the fix", () => {
        const stagedCalico = (spec: object): KubeObject => ({ apiVersion: "projectcalico.org/v3", kind: "StagedNetworkPolicy", metadata: { namespace: "shop", name: "p" }, spec });
        assert.strictEqual(objectProblem(stagedCalico({ selector: "all()", stagedAction: "Set" })), undefined);
        assert.match(objectProblem(stagedCalico({ selector: "app = web" })) ?? "", /^spec\.selector: invalid Calico selector/);
        assert.match(objectProblem(stagedCalico({ stagedAction: "Remove" })) ?? "", /^spec\.stagedAction: .*"Set", "Delete", "Learn", "Ignore"/);
        assert.match(objectProblem(stagedCalico({ stagedAction: "Delete", selector: "all()" })) ?? "",
            /^spec\.selector: a staged policy with stagedAction Delete .* remove spec\.selector \(only spec\.tier may stay\), or set stagedAction to Set/);
        assert.match(objectProblem({ apiVersion: "crd.projectcalico.org/v1", kind: "StagedGlobalNetworkPolicy", metadata: { name: "g" }, spec: { sellector: "all()" } }) ?? "", /^spec\.sellector: unknown field/);
        const stagedKubernetes = (spec: object): KubeObject => ({ apiVersion: "crd.projectcalico.org/v1", kind: "StagedKubernetesNetworkPolicy", metadata: { namespace: "shop", name: "k" }, spec });
        assert.strictEqual(objectProblem(stagedKubernetes(denyAll)), undefined);
        assert.match(objectProblem(stagedKubernetes({ podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] })) ?? "", /^spec\.ingress\[0\]\.ports\[0\]\.port/);
        assert.match(objectProblem(stagedKubernetes({ stagedAction: "Delete", podSelector: { matchLabels: { app: "web" } } })) ?? "", /^spec\.podSelector: .*stagedAction Delete/);
    });

    it("the command refuses an invalid staged policy with exit code 2 naming its file; --as-enforced evaluates a valid one", async () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-staged-"));
        try {
            const stagedDeny = { apiVersion: "projectcalico.org/v3", kind: "StagedKubernetesNetworkPolicy", metadata: { namespace: "shop", name: "deny" }, spec: denyAll };
            fs.writeFileSync(path.join(folder, "app.yaml"), [web, api, stagedDeny].map((object) => dump(object)).join("---\n"));
            const now = await runCli(["reach", folder]);
            assert.strictEqual(now.code, 0, now.stderr);
            assert.match(now.stdout, /shop\/web\[Pod\] => shop\/api\[Pod\]/);
            assert.match(now.stderr, /StagedKubernetesNetworkPolicy shop\/deny: not evaluated: .*--as-enforced/);
            const enforced = await runCli(["reach", "--as-enforced", folder]);
            assert.strictEqual(enforced.code, 0, enforced.stderr);
            assert.doesNotMatch(enforced.stdout, /=> shop\//);
            assert.doesNotMatch(enforced.stderr, /not evaluated/);
            fs.writeFileSync(path.join(folder, "bad.yaml"), dump({ ...stagedDeny, metadata: { namespace: "shop", name: "bad" }, spec: { stagedAction: "Delete", podSelector: { matchLabels: { app: "web" } } } }));
            const bad = await runCli(["reach", "--as-enforced", folder]);
            assert.strictEqual(bad.code, 2);
            assert.match(bad.stderr, /bad\.yaml.*StagedKubernetesNetworkPolicy shop\/bad.*spec\.podSelector: .*set stagedAction to Set/);
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });
});
