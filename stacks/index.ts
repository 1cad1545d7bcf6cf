import * as pulumi from "@pulumi/pulumi";
import { readEnvironment } from "./config";
import { deployMesh } from "./program";

/**
 * The ztmesh program every environment runs; the environment is `Pulumi.<stack>.yaml`.
 * Exported as a function so Pulumi (and tests) run it after config is in place.
 */
export = () => {
    const mesh = deployMesh(readEnvironment(), pulumi.getStack());
    return {
        mode: mesh.mode,
        renderDirectory: mesh.renderDirectory,
        calicoPolicyApi: mesh.calico.policyApi,
        appNamespaces: Object.keys(mesh.baseline.namespaces),
        gatewayHostnames: mesh.gateway?.hostnames ?? [],
        servicePrincipals: Object.fromEntries(Object.entries(mesh.services).map(([name, svc]) => [name, svc.principal])),
    };
};
