import * as k8s from "@pulumi/kubernetes";
import { PolicyPackConfig } from "@pulumi/policy";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { policies } from "../../policypack/policies";
import { projectRoot } from "../harness/stackConfig";
import { installMocks } from "../../stacks/offline";
import { packOnStack } from "../harness/packRun";
import { mandatory, ofPolicy } from "../harness/policyPack";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownValue } = require("@pulumi/pulumi/runtime/rpc");

const openPolicy = () => new k8s.networking.v1.NetworkPolicy("debug-allow-all", {
    metadata: { name: "allow-all-ingress", namespace: "bookinfo" },
    spec: { podSelector: {}, ingress: [{}] },
});

describe("policy pack: configuration and preview semantics", () => {
    before(installMocks);

    it("takes a rule's enforcement level from the config: advisory reports without blocking, disabled is silent", async () => {
        const advisory = await packOnStack("dev", { extra: openPolicy, packConfig: { "network-policy-no-allow-all": "advisory" } });
        assert.deepStrictEqual(ofPolicy(advisory, "network-policy-no-allow-all").map((v) => v.enforcementLevel), ["advisory"]);
        assert.deepStrictEqual(mandatory(advisory).filter((v) => v.policyName === "network-policy-no-allow-all"), []);
        const disabled = await packOnStack("dev", { extra: openPolicy, packConfig: { "network-policy-no-allow-all": { enforcementLevel: "disabled" } } });
        assert.deepStrictEqual(ofPolicy(disabled, "network-policy-no-allow-all"), []);
    });

    it("accepts the documented sample config: known rules and keys only, dev stays clean, advisory rules become mandatory", async () => {
        const sample = JSON.parse(fs.readFileSync(path.join(projectRoot, "policypack", "sample-config.json"), "utf8")) as Record<string, unknown>;
        for (const [name, entry] of Object.entries(sample)) {
            if (name === "all") {
                continue;
            }
            const policy = policies.find((p) => p.name === name);
            assert.ok(policy, `sample-config.json names an existing rule: ${name}`);
            if (typeof entry === "object" && entry) {
                for (const key of Object.keys(entry).filter((k) => k !== "enforcementLevel")) {
                    assert.ok(policy.configSchema?.properties[key], `${name} takes "${key}"`);
                }
            }
        }
        const result = await packOnStack("dev", { packConfig: sample as PolicyPackConfig });
        assert.deepStrictEqual(result.violations, []);
        const withLatest = await packOnStack("dev", {
            packConfig: sample as PolicyPackConfig,
            extra: () => new k8s.apps.v1.Deployment("latest", { metadata: { name: "latest", namespace: "bookinfo" }, spec: { selector: { matchLabels: { app: "latest" } }, template: { metadata: { labels: { app: "latest" } }, spec: { serviceAccountName: "latest", containers: [{ name: "a", image: "nginx:latest" }] } } } }),
        });
        assert.deepStrictEqual(ofPolicy(withLatest, "container-images-pinned").map((v) => v.enforcementLevel), ["mandatory"]);
    });

    it("skips exempted objects, matching whole segments with *", async () => {
        const exact = await packOnStack("dev", { extra: openPolicy, packConfig: { "network-policy-no-allow-all": { exemptions: ["NetworkPolicy/bookinfo/allow-all-ingress"] } } });
        assert.deepStrictEqual(ofPolicy(exact, "network-policy-no-allow-all"), []);
        const wildcard = await packOnStack("dev", { extra: openPolicy, packConfig: { "network-policy-no-allow-all": { exemptions: ["NetworkPolicy/bookinfo/*"] } } });
        assert.deepStrictEqual(ofPolicy(wildcard, "network-policy-no-allow-all"), []);
        const other = await packOnStack("dev", { extra: openPolicy, packConfig: { "network-policy-no-allow-all": { exemptions: ["NetworkPolicy/other/*"] } } });
        assert.strictEqual(ofPolicy(other, "network-policy-no-allow-all").length, 1);
    });

    it("turns a value unknown during preview into one advisory note for a resource rule, without failing the run", async () => {
        const result = await packOnStack("dev", {
            extra: openPolicy,
            editResources: (resources) => {
                const policy = resources.find((r) => r.inputs.metadata?.name === "allow-all-ingress")!;
                policy.inputs = { ...policy.inputs, spec: unknownValue };
            },
        });
        const notes = ofPolicy(result, "network-policy-no-allow-all");
        assert.deepStrictEqual(notes.map((v) => v.enforcementLevel), ["advisory"]);
        assert.match(notes[0].message, /can't run policy 'network-policy-no-allow-all' during preview/);
    });

    it("keeps stack rules running when one object is unknown: that object is skipped, the rest is checked", async () => {
        const result = await packOnStack("dev", {
            extra: () => new k8s.apiextensions.CustomResource("reviews-v4", {
                apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "reviews-v4", namespace: "bookinfo" },
                spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v4" } }] }] },
            }),
            editResources: (resources) => {
                const details = resources.find((r) => r.inputs.kind === "VirtualService" && r.inputs.metadata.name === "details")!;
                details.inputs = { ...details.inputs, spec: { ...details.inputs.spec, hosts: unknownValue } };
            },
        });
        assert.deepStrictEqual(ofPolicy(result, "virtualservice-references-resolve").map((v) => [v.enforcementLevel, v.message.replace(/ Fix: .*/, "")]), [
            ["mandatory", "VirtualService bookinfo/reviews-v4 sends traffic to subset v4 of reviews, which no DestinationRule defines (IST0101)."],
        ]);
    });
});
