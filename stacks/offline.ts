/**
 * Runs a Pulumi program offline: no cluster, no state, no Pulumi CLI. Pulumi's mock runtime
 * stands in for the engine and echoes every resource's inputs as its state (a provider that
 * accepts everything), and each registration is recorded with what the engine would know of it.
 *
 * `npm run report` uses it to compute a stack's reachability without deploying; the tests use
 * it to assert on what components register. What providers expand (the objects a Helm chart
 * renders) is not visible here: under mocks a chart is one resource with no children.
 */
import * as pulumi from "@pulumi/pulumi";
import type { KubeObject } from "../analysis/manifests";
import { Environment } from "./schema";
import { deployMesh } from "./program";
// Internal modules of the SDK, used only to stand in for the transform callback server.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getStore } = require("@pulumi/pulumi/runtime/state");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Callback } = require("@pulumi/pulumi/proto/callback_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { specialSigKey, specialSecretSig } = require("@pulumi/pulumi/runtime/rpc");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

/** Whether a recorded input value was a Pulumi secret (inputs keep the SDK's secret marker). */
export function isSecretValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

/** One resource as the program registered it, with what the engine would know of it. */
export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    /** Resolved inputs (outputs awaited); for Kubernetes objects: apiVersion, kind, metadata, spec... */
    inputs: Record<string, any>;
    /** URN of the parent ("" for the stack's direct children). */
    parent: string;
    /** URNs of explicit and implicit dependencies. */
    dependencies: string[];
    /** The `transforms` resource option, for tests to apply to the children a chart would render. */
    transforms: pulumi.ResourceTransform[];
    /** The `additionalSecretOutputs` resource option. */
    additionalSecretOutputs: string[];
    /** The `retainOnDelete` resource option. */
    retainOnDelete: boolean;
}

/**
 * Every resource registered under Pulumi's mocks, in registration order. Under mocks a
 * `helm.v4.Chart` or `yaml.v2.ConfigFile` is one resource with no children (its rendering
 * happens in the provider), so tests assert on its inputs.
 */
export class ResourceLog {
    readonly resources: RecordedResource[] = [];

    clear(): void {
        this.resources.length = 0;
    }

    /** Resources whose type token ends in `:<kind>` (e.g. `NetworkPolicy`, `Chart`, `MeshService`). */
    ofKind(kind: string): RecordedResource[] {
        return this.resources.filter((r) => r.type.endsWith(`:${kind}`));
    }

    /** The Kubernetes object of `kind` named `name` (in `namespace`, when given); fails listing what exists. */
    object(kind: string, name: string, namespace?: string): Record<string, any> {
        const candidates = this.ofKind(kind);
        const found = candidates.find((r) => r.inputs.metadata?.name === name && (namespace === undefined || r.inputs.metadata?.namespace === namespace));
        if (!found) {
            const existing = candidates.map((r) => `${r.inputs.metadata?.namespace ?? ""}/${r.inputs.metadata?.name}`).join(", ");
            throw new Error(`no ${kind} "${namespace ?? "*"}/${name}" was registered (registered: ${existing || "none"})`);
        }
        return found.inputs;
    }

    /** The resource with Pulumi name `name` and a type ending in `:<kind>`. */
    named(kind: string, name: string): RecordedResource {
        const found = this.ofKind(kind).find((r) => r.name === name);
        if (!found) {
            throw new Error(`no ${kind} resource named "${name}" (have: ${this.ofKind(kind).map((r) => r.name).join(", ") || "none"})`);
        }
        return found;
    }

    /**
     * Whether `resource` waits for `dependency`: through its own dependencies, or those of an
     * ancestor (a child registers only after its parent, which waits for its dependsOn), and
     * so on transitively.
     */
    dependsOn(resource: RecordedResource, dependency: RecordedResource): boolean {
        const byUrn = new Map(this.resources.map((r) => [r.urn, r]));
        const seen = new Set<string>();
        const withAncestors = (r: RecordedResource | undefined): string[] => (r ? [...r.dependencies, r.parent] : []);
        const pending = withAncestors(resource);
        while (pending.length > 0) {
            const urn = pending.pop()!;
            if (urn === dependency.urn) {
                return true;
            }
            if (!seen.has(urn)) {
                seen.add(urn);
                pending.push(...withAncestors(byUrn.get(urn)));
            }
        }
        return false;
    }
}

let log: ResourceLog | undefined;
/** Failures of asynchronous registration: Pulumi reports them as unhandled rejections. */
const registrationErrors: unknown[] = [];

/**
 * Installs Pulumi's mocks once per test process and returns the log they fill. The mocks echo
 * inputs as state, like a provider that accepts everything; the monitor is wrapped to record
 * the URN, parent and dependencies of each registration, which the mock API does not expose.
 */
export async function installMocks(): Promise<ResourceLog> {
    if (log) {
        return log;
    }
    const recorded = new ResourceLog();
    const inputsByKey = new Map<string, { inputs: any; custom: boolean }>();
    await pulumi.runtime.setMocks({
        newResource(args: pulumi.runtime.MockResourceArgs) {
            inputsByKey.set(`${args.type}::${args.name}`, { inputs: args.inputs, custom: args.custom ?? false });
            return { id: args.custom ? `${args.name}-id` : undefined, state: args.inputs };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            return args.inputs;
        },
    }, "ztmesh", "dev", false);
    // Under mocks the SDK's callback server for `transforms` never answers, so a resource with
    // transforms would never register. This stand-in hands out tokens and keeps the functions.
    const transformsByToken = new Map<string, pulumi.ResourceTransform>();
    getStore().supportsTransforms = true;
    getStore().callbacks = {
        async awaitStackRegistrations() {},
        async registerTransform(transform: pulumi.ResourceTransform) {
            const callback = new Callback();
            callback.setTarget("mock");
            callback.setToken(String(transformsByToken.size));
            transformsByToken.set(callback.getToken(), transform);
            return callback;
        },
    };
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: any, response: any) => void) =>
        register(req, (err: any, response: any) => {
            if (!err) {
                const key = `${req.getType()}::${req.getName()}`;
                const entry = inputsByKey.get(key);
                recorded.resources.push({
                    urn: response.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    custom: entry?.custom ?? req.getCustom(),
                    inputs: entry?.inputs ?? {},
                    parent: req.getParent(),
                    dependencies: req.getDependenciesList(),
                    transforms: req.getTransformsList().map((cb: any) => transformsByToken.get(cb.getToken())!),
                    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                    retainOnDelete: req.getRetainondelete() === true,
                });
            }
            callback(err, response);
        });
    process.on("unhandledRejection", (reason) => registrationErrors.push(reason));
    log = recorded;
    return recorded;
}

/**
 * Waits until registrations stop arriving: resources register asynchronously, after their
 * inputs and dependencies resolve, so a test awaits this before it asserts.
 *
 * Each registration holds one of the SDK's RPC keep-alives until the (mock) engine answers, and
 * `waitForRPCs` resolves once none is outstanding (the SDK awaits it before a program exits).
 * Children created inside an `apply` register in the promise callbacks that follow an answer,
 * so after a full event-loop turn the count must still be the same.
 */
export async function settled(resources: ResourceLog): Promise<void> {
    for (let count = -1; count !== resources.resources.length;) {
        count = resources.resources.length;
        await waitForRPCs();
        await new Promise((resolve) => setImmediate(resolve));
    }
    if (registrationErrors.length > 0) {
        const errors = registrationErrors.splice(0);
        throw new Error(`resource registration failed: ${errors.map((e) => (e instanceof Error ? e.stack : String(e))).join("\n")}`);
    }
}

/**
 * Runs `build` (which creates resources) offline and returns everything it registered, once
 * registration has settled. The log is shared; each call starts it empty.
 */
export async function construct(build: () => unknown): Promise<ResourceLog> {
    const recorded = await installMocks();
    await settled(recorded);
    recorded.clear();
    build();
    await settled(recorded);
    return recorded;
}

/** The Kubernetes objects the stack program registers for `env`, as plain data (charts stay unexpanded). */
export async function stackObjects(env: Environment, stack: string): Promise<KubeObject[]> {
    const recorded = await construct(() => deployMesh(env, stack));
    return recorded.resources.filter((r) => r.custom && r.inputs.kind).map((r) => JSON.parse(JSON.stringify(r.inputs)) as KubeObject);
}
