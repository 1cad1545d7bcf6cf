/**
 * The promise of ztmesh, checked by construction: for any valid declaration, the flows the
 * generated policies allow between app workloads are EXACTLY the declared ones. Random valid
 * `ztmesh:*` declarations (declarations.ts) go through the real stack program under Pulumi's
 * mocks; the analyzer's reachability of what it registers, at both layers (L4 ports; with a
 * proxy, L7 methods and paths), must equal what the declaration says, in both directions:
 * nothing undeclared allowed, nothing declared blocked or narrowed. The comparison is the policy
 * pack's own (analysis/intent.ts), here against the intent worked out from the declaration
 * alone, not against what the components recorded; that record must equal it too.
 *
 * A fixed seed keeps the fast tier repeatable. More cases, or another seed:
 *
 *   ZTMESH_PROPERTY_RUNS=500 ZTMESH_PROPERTY_SEED=42 npx mocha --no-config -r ts-node/register/transpile-only \
 *     --timeout 0 test/stacks/declaredFlows.property.test.ts
 *
 * A failure prints the seed and the path to replay it (fast-check's report), and the declaration
 * shrunk to a small one, as the `config:` of a `Pulumi.<stack>.yaml`.
 */
import * as assert from "assert";
import fc from "fast-check";
import * as YAML from "yaml";
import { declaredServices, declaredTargets, DeclaredService, intentDifferences, summarize } from "../../analysis/intent";
import { KubeObject } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";
import { parseEnvironment } from "../../stacks/config";
import { stackObjects } from "../../stacks/offline";
import { Environment } from "../../stacks/schema";
import { declaredIntent, environments, podsDeployedElsewhere, stackConfigOf } from "./declarations";

const runs = Number(process.env.ZTMESH_PROPERTY_RUNS ?? 20);
const seed = Number(process.env.ZTMESH_PROPERTY_SEED ?? 20261207);

/** The objects the stack program registers for `env`, with the pods it expects others to deploy. */
async function renderedObjects(env: Environment): Promise<KubeObject[]> {
    return [...await stackObjects(env, "property"), ...podsDeployedElsewhere(env)];
}

const byName = (services: readonly DeclaredService[]) => [...services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));

/** Every way the rendered objects differ from the declaration; empty when they agree. */
async function differencesFromDeclaration(env: Environment): Promise<string[]> {
    const objects = await renderedObjects(env);
    const intent = declaredIntent(env);
    const problems: string[] = [];
    try {
        assert.deepStrictEqual(byName(declaredServices(objects)), byName(intent));
    } catch (error) {
        problems.push(`the Services record other callers than declared (what the policy pack compares with):\n${(error as Error).message}`);
    }
    for (const { service, workloads } of declaredTargets(objects, intent)) {
        if (workloads.length === 0) {
            problems.push(`Service ${service.namespace}/${service.name} selects no workload, so nothing about it is compared`);
        }
    }
    const flows = reachability(objects, { istio: true });
    problems.push(...intentDifferences(objects, flows, intent).map((difference) => `Service ${difference.service.namespace}/${difference.service.name} ${summarize(difference)}`));
    return problems;
}

function asStackFile(env: Environment): string {
    return YAML.stringify({ config: Object.fromEntries(Object.entries(env).map(([key, value]) => [`ztmesh:${key}`, value])) });
}

describe("declared flows: random valid declarations allow exactly what they declare", function () {
    // About a second per case on a busy machine; a failure also shrinks, which runs the stack again and again.
    this.timeout(runs * 5_000 + 300_000);

    it(`${runs} declarations (seed ${seed}): the flows between app workloads equal the declared callers, at L4 and L7`, async () => {
        await fc.assert(fc.asyncProperty(environments, async (generated) => {
            const env = parseEnvironment(stackConfigOf(generated));
            const problems = await differencesFromDeclaration(env);
            if (problems.length > 0) {
                throw new Error(`${problems.join("\n")}\n\nthe declaration:\n${asStackFile(generated)}`);
            }
        }), { numRuns: runs, seed });
    });
});

describe("declared flows: declarations the property found wrong, shrunk", () => {
    const prometheus = { namespace: "monitoring", serviceAccount: "prometheus", podLabels: { "app.kubernetes.io/name": "prometheus" } };
    const web = { name: "web", namespace: "shop", ports: [{ name: "http", port: 80 }], versions: [{ name: "v1", image: "registry.example.com/web:1.0" }] };
    const metricsOnly = { name: "api", namespace: "shop", ports: [{ name: "metrics", port: 80, metrics: true }], existingWorkload: { podLabels: { "app.kubernetes.io/name": "api" } } };
    const differences = (env: Environment) => differencesFromDeclaration(parseEnvironment(stackConfigOf(env)));

    // A caller of a service that serves metrics only had an empty port list, which admitted every
    // port and voided the AuthorizationPolicy (and, in ambient mode, ztunnel's rule for the waypoint);
    // the components also stopped writing such rules, and the configuration is now refused outright.
    it("a caller of a service that serves metrics only is refused, naming the caller entry", async () => {
        const env: Environment = { calico: { install: false }, istio: { dataplaneMode: "sidecar" }, monitoring: prometheus, services: [web, { ...metricsOnly, callers: [{ service: "web" }] }] };
        await assert.rejects(differences(env), /ztmesh:services\[1\]\.callers\[0\]\.ports: the service has no port but metrics ports, so the rule would have no port and admit every port/);
    });

    it("ambient: the same behind a waypoint of its own is refused too", async () => {
        const env: Environment = { calico: { install: false }, istio: { dataplaneMode: "ambient", dedicatedWaypoints: ["api"] }, monitoring: prometheus, services: [web, { ...metricsOnly, callers: [{ service: "web" }] }] };
        await assert.rejects(differences(env), /so ztunnel's rule for the waypoint would have no port and admit every port/);
    });

    it("ambient: monitoring reaches the declared metrics ports (its egress lacked HBONE, which carries them)", async () => {
        const env: Environment = { calico: { install: false }, istio: { dataplaneMode: "ambient" }, monitoring: prometheus, services: [web, metricsOnly] };
        assert.deepStrictEqual(await differences(env), []);
    });
});
