import { PolicyResource } from "@pulumi/policy";
import { PlatformHandle, PlatformHandleError, parsePlatformHandle, platformOutputName } from "../components/platform/handle";
import { dataBehind, plainData } from "./kubernetes";

/** The type of a `pulumi.StackReference`: how an application stack reads its platform's handle. */
const stackReferenceType = "pulumi:pulumi:StackReference";

/**
 * The platform an application stack deploys into, as the pack sees it: the handle its
 * StackReference to the platform stack read (stack references are read during preview too),
 * or why it cannot be used. A stack that references no platform has neither.
 */
export interface PlatformContext {
    handle?: PlatformHandle;
    /** The StackReference the handle came from. */
    reference?: PolicyResource;
    /** Why a referenced handle cannot be used (an unknown version, a second platform). */
    problem?: string;
}

/**
 * The pack reads the platform from the stack's own StackReference rather than from its config:
 * the reference is a resource of the stack whose outputs the engine hands every stack policy,
 * so the pack checks the platform the program really deployed into, with no file to keep in
 * step per stack. A handle of a version the pack does not know is a problem, never a guess.
 */
export function platformOf(resources: readonly PolicyResource[]): PlatformContext {
    const references = resources.filter((resource) => resource.type === stackReferenceType).flatMap((reference) => {
        const outputs = plainData(dataBehind(reference.props).outputs) as Record<string, unknown> | undefined;
        return outputs && platformOutputName in outputs ? [{ reference, value: outputs[platformOutputName], name: String(dataBehind(reference.props).name) }] : [];
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
