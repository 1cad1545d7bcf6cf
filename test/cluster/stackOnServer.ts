import * as assert from "assert";
import { parseEnvironment } from "../../stacks/config";
import { construct, RecordedResource } from "../../stacks/offline";
import { deployMesh } from "../../stacks/program";
import { configValues, crdFile, istioCharts, rawConfig, withoutEmptyLists } from "../e2e/stackFiles";
import { TestCluster } from "./apiServer";

// What the cluster tests of the stacks share: the cluster they run on, their config, and the
// check that the server holds every object the stack program registers, as it was sent.

/**
 * A test cluster like minikube's with Calico installed from manifests: its
 * crd.projectcalico.org/v1 CRDs exist before the stack runs (the stack installs Istio's and the
 * Gateway API's).
 */
export async function startWithManifestCalico(): Promise<TestCluster> {
    const cluster = await TestCluster.start();
    await cluster.apply([crdFile("calico-v3.32.1-crds.yaml")]);
    await cluster.crdsEstablished();
    return cluster;
}

/**
 * Pulumi.<stack>.yaml's config against the test cluster, with the upstream Istio charts and
 * Gateway API CRDs of the pinned versions; nothing can become ready without nodes, so the
 * provider does not wait.
 */
export function clusterConfig(stack: string): Record<string, any> {
    const config = configValues(stack);
    config["ztmesh:charts"] = { localDirectory: istioCharts };
    config["ztmesh:cluster"] = { context: "test", skipAwait: true };
    config["ztmesh:gateway"] = { ...config["ztmesh:gateway"], crdsSource: crdFile("gateway-api-v1.5.1-standard.yaml") };
    return config;
}

/**
 * Whether every field of `expected` is in `actual` with the same value: what the server adds
 * (defaults, status, managed fields) is ignored, what ztmesh wrote must be there unchanged.
 */
function contains(actual: unknown, expected: unknown, where = ""): string | undefined {
    if (Array.isArray(expected)) {
        if (!Array.isArray(actual) || actual.length !== expected.length) {
            return `${where}: expected ${expected.length} items, found ${JSON.stringify(actual)?.slice(0, 200)}`;
        }
        for (let i = 0; i < expected.length; i++) {
            const problem = contains(actual[i], expected[i], `${where}[${i}]`);
            if (problem) {
                return problem;
            }
        }
        return undefined;
    }
    if (expected !== null && typeof expected === "object") {
        if (actual === null || typeof actual !== "object") {
            return `${where}: expected an object, found ${JSON.stringify(actual)}`;
        }
        for (const [key, value] of Object.entries(expected)) {
            const problem = contains((actual as Record<string, unknown>)[key], value, `${where}.${key}`);
            if (problem) {
                return problem;
            }
        }
        return undefined;
    }
    return actual === expected ? undefined : `${where}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`;
}

/** The Kubernetes objects the stack program registers for `stack` with `config`, under mocks. */
export async function expectedObjects(stack: string, config: Record<string, any>): Promise<RecordedResource[]> {
    const log = await construct(() => deployMesh(parseEnvironment(rawConfig(config)), stack));
    return log.resources.filter((r) => r.custom && r.inputs.kind);
}

/** Fails naming every expected object that the server lacks or holds with other content. */
export async function assertOnServer(cluster: TestCluster, expected: RecordedResource[]): Promise<void> {
    const problems: string[] = [];
    for (const { inputs } of expected) {
        const name = `${inputs.kind} ${inputs.metadata.namespace ?? ""}/${inputs.metadata.name}`;
        const live = await cluster.read(inputs.apiVersion, inputs.kind, inputs.metadata.name, inputs.metadata.namespace);
        if (!live) {
            problems.push(`${name} is not on the server`);
            continue;
        }
        const wanted = withoutEmptyLists(JSON.parse(JSON.stringify({ metadata: { labels: inputs.metadata.labels }, spec: inputs.spec, data: inputs.kind === "Secret" ? undefined : inputs.data, type: inputs.type })));
        const problem = contains(withoutEmptyLists(live), wanted, name);
        if (problem) {
            problems.push(problem);
        }
    }
    assert.deepStrictEqual(problems, [], `${problems.length} of ${expected.length} objects differ on the server`);
}
