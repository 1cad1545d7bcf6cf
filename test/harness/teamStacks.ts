import * as pulumi from "@pulumi/pulumi";
import { MeshPlatform, PlatformHandle, PolicyObjectRecorder, platformOutputName, platformReferenceType, teamLabel } from "../../components";
import { deployTeam } from "../../stacks/application";
import { parseEnvironment } from "../../stacks/config";
import { deployMesh } from "../../stacks/program";
import { RecordedResource, ResourceLog, construct } from "../../stacks/offline";
import { configValues, rawConfig } from "../e2e/stackFiles";

/** A stack's config from its Pulumi.<stack>.yaml, parsed, with `edit` applied, as Pulumi hands it to the program. */
export function editedStack(stack: string, edit: (config: Record<string, any>) => void = () => {}): Record<string, string> {
    const config = configValues(stack);
    edit(config);
    return rawConfig(config);
}

function resolved<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/**
 * The platform stack under mocks and its handle. The mocks never call a resource transform,
 * so the policy objects are recorded here by handing each registered resource to the same
 * recorder the program gives the platform's components.
 */
export async function platformUnderMocks(stack = "platform", edit?: (config: Record<string, any>) => void): Promise<{ handle: PlatformHandle; log: ResourceLog }> {
    let output: pulumi.Output<PlatformHandle> | undefined;
    const log = await construct(() => {
        output = deployMesh(parseEnvironment(editedStack(stack, edit)), stack).platform;
    });
    const recorder = new PolicyObjectRecorder();
    for (const resource of log.resources) {
        recorder.transform({ type: resource.type, name: resource.name, custom: resource.custom, props: JSON.parse(JSON.stringify(resource.inputs)), opts: {} });
    }
    const handle = await resolved(output!);
    return { handle: { ...handle, policyObjects: await resolved(recorder.objectsOf()) as PlatformHandle["policyObjects"] }, log };
}

/** A team stack under mocks on `handle`, with the PlatformReference through which the real program hands the pack its handle. */
export async function teamUnderMocks(stack: string, handle: PlatformHandle, edit?: (config: Record<string, any>) => void): Promise<RecordedResource[]> {
    const env = parseEnvironment(editedStack(stack, edit));
    const log = await construct(() => deployTeam(env, stack, MeshPlatform.of({ [platformOutputName]: handle })));
    return [...withTransforms(log.resources), platformReference(env.platform!, handle)];
}

/**
 * The resources as the engine registers them: each one's inputs through the transforms of it
 * and its ancestors (the engine runs a component's transforms on its children; the mocks run none).
 */
function withTransforms(resources: readonly RecordedResource[]): RecordedResource[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    return resources.map((resource) => {
        const chain: RecordedResource[] = [];
        for (let at: RecordedResource | undefined = resource; at; at = byUrn.get(at.parent)) {
            chain.unshift(at);
        }
        let inputs = resource.inputs;
        for (const transform of chain.flatMap((r) => r.transforms)) {
            const result = transform({ type: resource.type, name: resource.name, custom: resource.custom, props: inputs, opts: {} });
            inputs = (result && !("then" in result) ? result.props : inputs) as Record<string, any>;
        }
        return { ...resource, inputs };
    });
}

/** The PlatformReference an application stack registers (MeshPlatform.fromStack), its outputs holding the platform handle. */
export function platformReference(stack: string, handle: unknown): RecordedResource {
    return {
        urn: `urn:pulumi:team::ztmesh::${platformReferenceType}::${stack}`, type: platformReferenceType, name: stack, custom: false,
        inputs: { stack, [platformOutputName]: handle },
        parent: "", dependencies: [], transforms: [], additionalSecretOutputs: [], retainOnDelete: false,
    };
}

/**
 * One stack of role all with the declarations of the platform stack and both team stacks:
 * what the split must amount to. Calls to other teams' services are declared on the callee
 * alone there, so the teams' `dependencies` are left out.
 */
export function singleStackConfig(): Record<string, any> {
    const config = configValues("platform");
    delete config["ztmesh:role"];
    delete config["ztmesh:teams"];
    config["ztmesh:services"] = ["team-frontend", "team-reviews"].flatMap((stack) => configValues(stack)["ztmesh:services"])
        .map(({ dependencies: _calls, ...service }: Record<string, unknown>) => service);
    return config;
}

/** `object` without the ownership label `ztmesh.io/team` (and without labels, if that was the only one). */
export function withoutTeamLabels<T extends { metadata?: { labels?: Record<string, string> } }>(object: T): T {
    const labels = { ...object.metadata?.labels };
    delete labels[teamLabel];
    const { labels: _labels, ...metadata } = object.metadata ?? {};
    return { ...object, metadata: { ...metadata, ...(Object.keys(labels).length > 0 ? { labels } : {}) } };
}
