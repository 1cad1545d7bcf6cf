import * as assert from "assert";
import * as path from "path";
import { runCli } from "../analysis/cliRun";
import { eventLogEnv, readSteps, withEventLog } from "../harness/eventLog";
import { effectChanges, effectOf, enforcementOrderProblems } from "../harness/enforcementOrder";
import { assertOnServer, clusterConfig, expectedObjects, onItsOwnServer, startWithBothCalicoApis } from "./stackOnServer";

/** The kinds audit mode writes instead of enforcing ones, by API group: what must be gone once enforced. */
const observingKinds = (group: string): [string, string][] =>
    ["StagedGlobalNetworkPolicy", "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy"].map((kind) => [`${group}/${group === "projectcalico.org" ? "v3" : "v1"}`, kind]);

/**
 * The audit stack (Pulumi.audit.yaml) on a real kube-apiserver that serves both Calico API
 * groups: deployed in audit mode, every staged Calico policy and dry-run AuthorizationPolicy is
 * stored and read back as sent; then promoted to enforce and demoted back with `pulumi up`,
 * where the engine's event log (`--event-log`) gives the order in which each policy began and
 * stopped enforcing, and no step may lower protection or cut a declared flow on the way
 * (test/harness/enforcementOrder.ts). The demotion also moves the Calico policies from
 * projectcalico.org/v3 to the storage API, crd.projectcalico.org/v1, so that one update more
 * puts audit mode's objects in both groups on the server.
 */
describe("cluster: the audit stack promoted to enforce and back on kube-apiserver v1.36.3", function () {
    this.timeout(1_800_000);
    const withEnforcement = (enforcement: "audit" | "enforce", policyApi: string) => {
        const config = clusterConfig("audit");
        return { ...config, "ztmesh:enforcement": enforcement, "ztmesh:calico": { ...config["ztmesh:calico"], policyApi } };
    };
    const auditV3 = withEnforcement("audit", "projectcalico.org/v3");
    const enforceV3 = withEnforcement("enforce", "projectcalico.org/v3");
    const auditV1 = withEnforcement("audit", "crd.projectcalico.org/v1");
    const server = onItsOwnServer("audit", auditV3, startWithBothCalicoApis);
    // The event log holds the SDK's debug lines, which print resource outputs, secrets included: it stays in the suite's folder, removed after it.
    const eventLog = (name: string) => path.join(server.work, `${name}.events.jsonl`);

    /** `pulumi up` of the stack with `config`, and the steps of its event log. */
    function upLogged(name: string, config: Record<string, any>) {
        server.cli(name, config, eventLogEnv).ok(withEventLog(["up", "--yes", "--skip-preview"], eventLog(name)));
        return readSteps(eventLog(name));
    }

    /** The server's objects of the observing kinds, and the AuthorizationPolicies in dry-run, by kind and name. */
    async function observingOnServer(): Promise<string[]> {
        const kinds = [...observingKinds("projectcalico.org"), ...observingKinds("crd.projectcalico.org")];
        const staged = (await Promise.all(kinds.map(([apiVersion, kind]) => server.cluster.list(apiVersion, kind)))).flat();
        const dryRun = (await server.cluster.list("security.istio.io/v1", "AuthorizationPolicy")).filter((p) => p.metadata?.annotations?.["istio.io/dry-run"] === "true");
        return [...staged, ...dryRun].map((o) => `${o.apiVersion} ${o.kind} ${o.metadata!.namespace ?? ""}/${o.metadata!.name}`).sort();
    }

    /** The registered objects for `config` that observe, as observingOnServer names them. */
    async function observingExpected(config: Record<string, any>): Promise<string[]> {
        const expected = await expectedObjects("audit", config);
        await assertOnServer(server.cluster, expected);
        return expected.filter((r) => effectOf(r.inputs)?.effect === "observe")
            .map(({ inputs }) => `${inputs.apiVersion} ${inputs.kind} ${inputs.metadata.namespace ?? ""}/${inputs.metadata.name}`).sort();
    }

    it("pulumi up in audit mode: every staged Calico policy (projectcalico.org/v3) and dry-run AuthorizationPolicy is on the server as sent, and nothing else observes", async () => {
        server.pulumi.ok(["up", "--yes", "--skip-preview"]);
        const observing = await observingExpected(auditV3);
        const kinds = new Set(observing.map((name) => name.split(" ").slice(0, 2).join(" ")));
        for (const kind of ["projectcalico.org/v3 StagedGlobalNetworkPolicy", "projectcalico.org/v3 StagedKubernetesNetworkPolicy", "security.istio.io/v1 AuthorizationPolicy"]) {
            assert.ok(kinds.has(kind), `audit mode writes ${kind} (have ${[...kinds].join(", ")})`);
        }
        assert.deepStrictEqual(await observingOnServer(), observing);
    });

    it("in audit mode nothing is cut now: ztmesh reach on the live objects lets a declared and an undeclared flow through; as enforced, only the declared one", async () => {
        const flows = async (...flags: string[]) => {
            const result = await runCli(["reach", "--kubeconfig", server.cluster.kubeconfigPath, "-q", ...flags]);
            assert.strictEqual(result.code, 0, result.stderr);
            return result.stdout;
        };
        // productpage calls details (declared), never ratings (reviews does): the flow the observed-flow fixtures add.
        const declared = /^bookinfo\/productpage-v1\[Deployment\] => bookinfo\/details-v1\[Deployment\] : /m;
        const undeclared = /^bookinfo\/productpage-v1\[Deployment\] => bookinfo\/ratings-v1\[Deployment\] : /m;
        // Audit mode observes and cuts nothing. A Calico policy that selects a pod for a direction
        // drops, at the end of its tier, what no rule of the tier allows (Calico's Tier reference,
        // "How policy is evaluated"), so an allow that selects every pod isolates as a deny does.
        const why = async (pair: string) => {
            const explained = await flows("--explain");
            const at = explained.indexOf(`Connections between ${pair}:`);
            return at < 0 ? `(no explanation of ${pair})` : explained.slice(at, explained.indexOf("\n---", at));
        };
        const now = await flows();
        assert.ok(declared.test(now), `audit mode cuts a declared flow:\n${await why("bookinfo/productpage-v1[Deployment] => bookinfo/details-v1[Deployment]")}`);
        assert.ok(undeclared.test(now), `audit mode cuts an undeclared flow, which it must only observe:\n${await why("bookinfo/productpage-v1[Deployment] => bookinfo/ratings-v1[Deployment]")}`);
        const asEnforced = await flows("--as-enforced");
        assert.match(asEnforced, declared);
        assert.doesNotMatch(asEnforced, undeclared);
    });

    it("promotion to enforce: the enforcing allows are on the server before any enforcing deny, and no staged object goes before its replacement", async () => {
        const steps = upLogged("promote", enforceV3);
        const changes = effectChanges(steps);
        assert.ok((changes["observe → deny"] ?? 0) + (changes["none → deny"] ?? 0) > 0 && (changes["observe → none"] ?? 0) > 0, `the update promoted denies and removed staged objects: ${JSON.stringify(changes)}`);
        assert.deepStrictEqual(enforcementOrderProblems(steps), []);
        assert.deepStrictEqual(await observingExpected(enforceV3), [], "nothing observes in enforce mode");
        assert.deepStrictEqual(await observingOnServer(), [], "no staged or dry-run object is left on the server");
    });

    it("pulumi up --expect-no-changes after the promotion changes nothing", () => {
        server.cli("promote", enforceV3).ok(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    });

    it("back to audit (and to crd.projectcalico.org/v1): no enforcing allow goes while its deny enforces, no enforcing object before the staged one that observes in its place; the staged objects are on the server as sent", async () => {
        const steps = upLogged("demote", auditV1);
        const changes = effectChanges(steps);
        assert.ok((changes["deny → observe"] ?? 0) + (changes["deny → none"] ?? 0) > 0 && (changes["none → observe"] ?? 0) > 0, `the update demoted denies and created staged objects: ${JSON.stringify(changes)}`);
        assert.deepStrictEqual(enforcementOrderProblems(steps), []);
        const observing = await observingExpected(auditV1);
        assert.ok(observing.some((name) => name.startsWith("crd.projectcalico.org/v1 StagedGlobalNetworkPolicy ")), observing.join("\n"));
        assert.deepStrictEqual(await observingOnServer(), observing);
    });
});
