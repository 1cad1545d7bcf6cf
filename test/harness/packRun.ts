import { PolicyPackConfig } from "@pulumi/policy";
import { policies } from "../../policypack/policies";
import { parseEnvironment } from "../../stacks/config";
import { deployMesh } from "../../stacks/program";
import { renderedChartChildren } from "./chartFixtures";
import { construct } from "../../stacks/offline";
import { RecordedResource } from "../../stacks/offline";
import { PackResult, StackUnderReview, runPolicyPack } from "./policyPack";
import { kubeconfigIsSecret, stackConfig } from "./stackConfig";

export interface StackRunOptions {
    /** Resources the user adds to the program beside the stack, e.g. a raw NetworkPolicy. */
    extra?: () => void;
    /** A change to the stack's config (key → parsed value). */
    editConfig?: (config: Record<string, any>) => void;
    /** `--policy-pack-config`. */
    packConfig?: PolicyPackConfig;
    /** The stack's name as the engine tells the pack (default: the stack file's). */
    stackName?: string;
    /** Changes to the recorded resources before the pack runs, e.g. a value unknown during preview. */
    editResources?: (resources: RecordedResource[]) => void;
}

function parseConfigValue(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** The stack's name and config as the engine hands them to the pack: strings as they are, other values as JSON. */
function reviewed(stack: string, parsed: Record<string, any>, name?: string): StackUnderReview {
    return { name: name ?? stack, config: Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)])) };
}

/**
 * What the REAL stack program for `stack` (its Pulumi.<stack>.yaml, optionally edited)
 * registers under mocks, plus what its charts render (fixtures), and the stack as the pack
 * is told of it.
 */
export async function stackResources(stack: "dev" | "prod" | "ambient" | "audit", options: StackRunOptions = {}): Promise<{ resources: RecordedResource[]; stack: StackUnderReview }> {
    const raw = stackConfig(stack);
    // As the program reads config: JSON where it parses (objects, lists), the plain string otherwise.
    const parsed: Record<string, any> = Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, parseConfigValue(value)]));
    options.editConfig?.(parsed);
    const config = Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, JSON.stringify(value)]));
    if (stack === "prod") {
        config["ztmesh:kubeconfig"] = "apiVersion: v1\nkind: Config\n";
    }
    const log = await construct(() => {
        deployMesh(parseEnvironment(config, kubeconfigIsSecret), stack);
        options.extra?.();
    });
    const resources = [...log.resources, ...renderedChartChildren(log.resources)];
    options.editResources?.(resources);
    return { resources, stack: reviewed(stack, parsed, options.stackName) };
}

/** The REAL stack program for `stack` (see stackResources), checked by the whole pack. */
export async function packOnStack(stack: "dev" | "prod" | "ambient" | "audit", options: StackRunOptions = {}): Promise<PackResult & { resources: RecordedResource[] }> {
    const { resources, stack: underReview } = await stackResources(stack, options);
    return { ...(await runPolicyPack(policies, resources, { config: options.packConfig, stack: underReview })), resources };
}
