import * as pulumi from "@pulumi/pulumi";
import { sourcePlan } from "./charts";
import { readEnvironment } from "./config";
import { checkDownloads } from "./preflight";
import { deployMesh } from "./program";

/**
 * The ztmesh program every environment runs; the environment is `Pulumi.<stack>.yaml`.
 * Exported as a function so Pulumi (and tests) run it after config is in place. It first
 * checks that every chart and manifest it will download is reachable.
 */
export = async () => {
    const env = readEnvironment();
    await checkDownloads(sourcePlan(env));
    const mesh = deployMesh(env, pulumi.getStack());
    return {
        mode: mesh.mode,
        renderDirectory: mesh.renderDirectory,
        calicoPolicyApi: mesh.calico.policyApi,
        appNamespaces: Object.keys(mesh.baseline.namespaces),
        gatewayHostnames: mesh.gateway?.hostnames ?? [],
        servicePrincipals: Object.fromEntries(Object.entries(mesh.services).map(([name, svc]) => [name, svc.principal])),
    };
};
