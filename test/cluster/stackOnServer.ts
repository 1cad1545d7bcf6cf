import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseEnvironment } from "../../stacks/config";
import { construct, RecordedResource } from "../../stacks/offline";
import { deployMesh } from "../../stacks/program";
import { PulumiCli } from "../e2e/pulumiCli";
import { configValues, crdFile, rawConfig, withPinnedUpstream, withoutEmptyLists, writeStackConfig } from "../e2e/stackFiles";
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
 * A test cluster like startWithManifestCalico's that also serves Calico's public API,
 * projectcalico.org/v3, as Calico's API server would (its CRDs stand in for it here).
 */
export async function startWithBothCalicoApis(): Promise<TestCluster> {
    const cluster = await startWithManifestCalico();
    await cluster.apply([crdFile("calico-v3.32.1-projectcalico-v3-crds.yaml")], (object) => object.spec?.group === "projectcalico.org");
    await cluster.crdsEstablished();
    return cluster;
}

/** One stack on a test cluster of its own, as `onItsOwnServer` sets them up for a `describe`. */
export interface StackOnServer {
    /** The test cluster: set once the suite's `before` has run. */
    readonly cluster: TestCluster;
    /** The Pulumi CLI for the stack with the suite's config: set once the suite's `before` has run. */
    readonly pulumi: PulumiCli;
    /** A folder of the suite's own, removed after it. */
    readonly work: string;
    /** The same stack with another config (written to Pulumi.<stack>-<name>.yaml) and more environment. */
    cli(name: string, config: Record<string, any>, env?: NodeJS.ProcessEnv): PulumiCli;
}

/**
 * Registers, in the calling `describe`, the hooks that start a test cluster with `start`, create
 * stack `cluster-<name>-<pid>` with `config` on a throw-away file backend, and afterwards throw
 * both away. A cluster of its own per suite: stacks own namespaces and CRDs, and without a
 * controller manager a deleted namespace never goes away.
 */
export function onItsOwnServer(name: string, config: Record<string, any>, start: () => Promise<TestCluster> = startWithManifestCalico): StackOnServer {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `ztmesh-cluster-${name}-`));
    const stack = `cluster-${name}-${process.pid}`;
    const state = path.join(work, "state");
    let cluster: TestCluster | undefined;
    let pulumi: PulumiCli | undefined;
    const cli = (file: string, stackConfig: Record<string, any>, env: NodeJS.ProcessEnv = {}) =>
        new PulumiCli(state, stack, writeStackConfig(path.join(work, `${file}.yaml`), stackConfig), { KUBECONFIG: cluster!.kubeconfigPath, ...env });

    before(async () => {
        cluster = await start();
        fs.mkdirSync(state);
        pulumi = cli(`Pulumi.${stack}`, config);
        pulumi.ok(["stack", "init"]);
    });

    after(async () => {
        // The backend and the cluster are thrown away whole, so nothing needs destroying; `stack rm`
        // removes the Pulumi.<stack>.yaml that `stack init` wrote beside Pulumi.yaml.
        pulumi?.run(["stack", "rm", "--yes", "--force"]);
        await cluster?.stop();
        fs.rmSync(work, { recursive: true, force: true });
    });

    return {
        get cluster() {
            return cluster!;
        },
        get pulumi() {
            return pulumi!;
        },
        work,
        cli: (configName, stackConfig, env) => cli(`Pulumi.${stack}-${configName}`, stackConfig, env),
    };
}

/**
 * Pulumi.<stack>.yaml's config against the test cluster, with the upstream Istio charts and
 * Gateway API CRDs of the pinned versions; nothing can become ready without nodes, so the
 * provider does not wait.
 */
export function clusterConfig(stack: string): Record<string, any> {
    return { ...withPinnedUpstream(configValues(stack)), "ztmesh:cluster": { context: "test", skipAwait: true } };
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
        // Annotations carry meaning (istio.io/dry-run turns enforcement off); pulumi.com/ ones are the provider's directives to itself.
        const annotations = Object.fromEntries(Object.entries(inputs.metadata.annotations ?? {}).filter(([key]) => !key.startsWith("pulumi.com/")));
        const wanted = withoutEmptyLists(JSON.parse(JSON.stringify({ metadata: { labels: inputs.metadata.labels, annotations }, spec: inputs.spec, data: inputs.kind === "Secret" ? undefined : inputs.data, type: inputs.type })));
        const problem = contains(withoutEmptyLists(live), wanted, name);
        if (problem) {
            problems.push(problem);
        }
    }
    assert.deepStrictEqual(problems, [], `${problems.length} of ${expected.length} objects differ on the server`);
}
