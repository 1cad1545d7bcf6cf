import { PolicyResource } from "@pulumi/policy";
import { PlatformHandle, PlatformHandleError, parsePlatformHandle, platformOutputName, platformReferenceType } from "../components/platform/handle";
import { dataBehind, plainData } from "./kubernetes";

/**
 * The platform an application stack deploys into, as the pack sees it: the handle its program
 * registered as a `PlatformReference` (MeshPlatform.fromStack does), or why it cannot be used.
 * A stack that references no platform has neither.
 */
export interface PlatformContext {
    handle?: PlatformHandle;
    /** The PlatformReference the handle came from. */
    reference?: PolicyResource;
    /** Why a referenced handle cannot be used (an unknown version, a second platform). */
    problem?: string;
}

/**
 * The pack reads the platform from a resource of the stack rather than from its config: a
 * `--policy-pack-config` file is fixed per run and would be kept in step with the platform by
 * hand for every team's stack, while the resource holds the handle the program really read from
 * the platform stack. Not the StackReference itself: the engine hands stack policies the
 * resources a program registers, and a StackReference is read, not registered. A handle of a
 * version the pack does not know is a problem, never a guess.
 */
export function platformOf(resources: readonly PolicyResource[]): PlatformContext {
    const references = resources.filter((resource) => resource.type === platformReferenceType).map((reference) => {
        const outputs = plainData(dataBehind(reference.props)) as Record<string, unknown> | undefined;
        return { reference, value: outputs?.[platformOutputName], name: String(outputs?.stack ?? reference.name) };
    });
    if (references.length === 0) {
        return {};
    }
    const [first] = references;
    if (references.length > 1) {
        return { reference: first.reference, problem: `references ${references.length} platform stacks (${references.map((r) => r.name).join(", ")}); an application stack deploys into one platform` };
    }
    try {
        return { reference: first.reference, handle: parsePlatformHandle(first.value, `stack ${first.name}`) };
    } catch (error) {
        if (error instanceof PlatformHandleError) {
            return { reference: first.reference, problem: error.message };
        }
        throw error;
    }
}

/**
 * The platform's policy objects as resources of the stack, so that every stack rule evaluates
 * an application stack together with the baseline it runs under, as in a single stack.
 */
export function platformResources(handle: PlatformHandle | undefined): PolicyResource[] {
    return (handle?.policyObjects ?? []).map((object) => {
        const groupVersion = object.apiVersion.includes("/") ? object.apiVersion : `core/${object.apiVersion}`;
        return { type: `kubernetes:${groupVersion}:${object.kind}`, props: object, urn: "", name: object.metadata.name } as unknown as PolicyResource;
    });
}
