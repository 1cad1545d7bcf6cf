/**
 * The baseline (c) of `npm run bench`: a Pulumi program that writes what the stack program
 * registered besides its components (the Kubernetes objects, the charts, the CRD manifest and
 * the provider they all use) directly with @pulumi/kubernetes, from the top level of its module,
 * as `pulumi new kubernetes-typescript` programs are written: in the order the stack program
 * declared them and with the same dependencies between them (`directResources.ts` says why).
 * The worker loads it (and the stack program, `stackProgram.ts`) afresh once the mocks are in
 * place, so the objects register while Node loads the module, as they do when Pulumi loads a
 * program.
 *
 * Why both run that way: the runtime records a stack trace for every promise of a registration
 * (Node keeps ten frames) and ts-node source-maps each frame, which is most of either program's
 * time. Registered from the module loader, every trace keeps its ten frames in both programs.
 * Registered from the worker's async function after an await, as before, the baseline's traces
 * ran out of frames before ten where the components' deeper calls mostly did not, and the
 * comparison counted stack depth as component overhead.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DirectResource, programInput } from "./programInput";

/** One resource the stack program registered besides its components, written directly. */
function writeDirectly({ type, inputs }: DirectResource, index: number, opts: pulumi.CustomResourceOptions): pulumi.Resource {
    const name = `${inputs.kind ?? type.split(":").pop()}-${index}`;
    switch (type) {
        case "kubernetes:core/v1:Namespace": return new k8s.core.v1.Namespace(name, inputs, opts);
        case "kubernetes:core/v1:ServiceAccount": return new k8s.core.v1.ServiceAccount(name, inputs, opts);
        case "kubernetes:core/v1:Service": return new k8s.core.v1.Service(name, inputs, opts);
        case "kubernetes:core/v1:Secret": return new k8s.core.v1.Secret(name, inputs, opts);
        case "kubernetes:apps/v1:Deployment": return new k8s.apps.v1.Deployment(name, inputs, opts);
        case "kubernetes:networking.k8s.io/v1:NetworkPolicy": return new k8s.networking.v1.NetworkPolicy(name, inputs, opts);
        case "kubernetes:helm.sh/v4:Chart": return new k8s.helm.v4.Chart(name, inputs as k8s.helm.v4.ChartArgs, opts);
        case "kubernetes:yaml/v2:ConfigFile": return new k8s.yaml.v2.ConfigFile(name, inputs as k8s.yaml.v2.ConfigFileArgs, opts);
        default: return new k8s.apiextensions.CustomResource(name, inputs as k8s.apiextensions.CustomResourceArgs, opts);
    }
}

const isProvider = (resource: DirectResource) => resource.type === "pulumi:providers:kubernetes";
const provider = new k8s.Provider("render", programInput.resources.find(isProvider)!.inputs);
/** Every resource written so far, by its index in the list: the objects after it may depend on it. */
const written: pulumi.Resource[] = [];
for (const [index, resource] of programInput.resources.entries()) {
    const dependsOn = resource.dependsOn.length ? { dependsOn: resource.dependsOn.map((at) => written[at]) } : {};
    written.push(isProvider(resource) ? provider : writeDirectly(resource, index, { provider, ...dependsOn }));
}
