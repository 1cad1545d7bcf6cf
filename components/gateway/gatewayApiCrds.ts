import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { retainCrds } from "../charts";

/** The kinds a Gateway API release manifest holds, as typed resources. */
const typedKinds: Record<string, new (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource> = {
    "apiextensions.k8s.io/v1 CustomResourceDefinition": k8s.apiextensions.v1.CustomResourceDefinition,
    "admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy": k8s.admissionregistration.v1.ValidatingAdmissionPolicy,
    "admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding": k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding,
};

/**
 * The Gateway API CRDs: with the manifest's content, one typed resource per object; else a
 * `yaml.v2.ConfigFile` of `source`.
 *
 * Why typed resources: the release manifest also holds a ValidatingAdmissionPolicy (and its
 * binding) that refuses older experimental CRDs. The Kubernetes provider's YAML expansion asks
 * the cluster whether a kind is namespaced when its built-in table does not say, and the table
 * of the pinned provider (v4.25.0) lacks that kind, so without a cluster (render mode) the
 * ConfigFile fails. Typed resources need no such lookup, in either mode.
 */
export function gatewayApiCrds(name: string, crds: { source: string; manifest?: string }, parent: pulumi.Resource): pulumi.Resource[] {
    if (crds.manifest === undefined) {
        return [new k8s.yaml.v2.ConfigFile(`${name}-gateway-api-crds`, { file: crds.source }, { parent, transforms: [retainCrds] })];
    }
    const objects = YAML.parseAllDocuments(crds.manifest).map((document) => document.toJSON()).filter((object) => object);
    return objects.map((object) => {
        const kind = `${object.apiVersion} ${object.kind}`;
        const Typed = typedKinds[kind];
        if (!Typed) {
            throw new pulumi.ResourceError(`the Gateway API CRD manifest ${crds.source} holds a ${kind} "${object.metadata?.name}", which is not a CRD or admission policy; ` +
                "point ztmesh:gateway.crdsSource at the standard-install.yaml of a Gateway API release", parent);
        }
        // Deleting a CRD deletes every object of its kind: keep them when the gateway goes.
        return new Typed(`${name}-${object.kind === "CustomResourceDefinition" ? "crd" : "vap"}-${object.metadata.name}`, object, { parent, retainOnDelete: true });
    });
}
