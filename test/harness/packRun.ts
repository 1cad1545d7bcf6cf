import { PolicyPackConfig } from "@pulumi/policy";
import { policies } from "../../policypack/policies";
import { parseEnvironment } from "../../stacks/config";
import { deployMesh } from "../../stacks/program";
import { renderedChartChildren } from "./chartFixtures";
import { construct } from "../../stacks/offline";
import { RecordedResource } from "../../stacks/offline";
import { PackResult, runPolicyPack } from "./policyPack";
import { kubeconfigIsSecret, stackConfig } from "./stackConfig";

export interface StackRunOptions {
    /** Resources the user adds to the program beside the stack, e.g. a raw NetworkPolicy. */
    extra?: () => void;
    /** A change to the stack's config (key → parsed value). */
    editConfig?: (config: Record<string, any>) => void;
    /** `--policy-pack-config`. */
    packConfig?: PolicyPackConfig;
    /** Changes to the recorded resources before the pack runs, e.g. a value unknown during preview. */
    editResources?: (resources: RecordedResource[]) => void;
}

/** The stacks' resources without options, registered once per test process (the program is most of a pack run's time). */
const registeredAsIs = new Map<string, Promise<readonly RecordedResource[]>>();

/**
 * The REAL stack program for `stack` (its Pulumi.<stack>.yaml, optionally edited) under
 * mocks, plus what its charts render (fixtures), checked by the whole pack. A stack without
 * options is registered once per test process. (Not one with `extra`: registered apart, its
 * resources would come after the stack's, where in one program they come among them, and
 * several messages follow the objects' order.)
 */
export async function packOnStack(stack: "dev" | "prod" | "ambient", options: StackRunOptions = {}): Promise<PackResult & { resources: RecordedResource[] }> {
    const asIs = options.editConfig === undefined && options.extra === undefined && options.editResources === undefined;
    let registered = asIs ? registeredAsIs.get(stack) : undefined;
    if (registered === undefined) {
        const raw = stackConfig(stack);
        const parsed: Record<string, any> = Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, JSON.parse(value)]));
        options.editConfig?.(parsed);
        const config = Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, JSON.stringify(value)]));
        if (stack === "prod") {
            config["ztmesh:kubeconfig"] = "apiVersion: v1\nkind: Config\n";
        }
        // A copy: the log's list is cleared by the next registration.
        registered = construct(() => {
            deployMesh(parseEnvironment(config, kubeconfigIsSecret), stack);
            options.extra?.();
        }).then((log) => [...log.resources]);
        if (asIs) {
            registeredAsIs.set(stack, registered);
        }
    }
    const log = { resources: await registered };
    const resources = [...log.resources, ...renderedChartChildren(log.resources)];
    options.editResources?.(resources);
    return { ...(await runPolicyPack(policies, resources, { config: options.packConfig })), resources };
}
