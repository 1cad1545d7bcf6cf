import * as pulumi from "@pulumi/pulumi";
import { sourcePlan } from "./charts";
import { readEnvironment } from "./config";
import { checkDownloads, downloadsToLeaveOut, leftOutMessage } from "./preflight";
import { deployMesh, rendersManifests } from "./program";

/**
 * The ztmesh program every environment runs; the environment is `Pulumi.<stack>.yaml`.
 * Exported as a function so Pulumi (and tests) run it after config is in place. It first
 * checks that every chart and manifest it will download is reachable: a deploy stops on the
 * first that is not; a render leaves unreachable charts and CRDs out and says so in one line.
 */
export = async () => {
    const env = readEnvironment();
    const leftOut = rendersManifests(env) ? await downloadsToLeaveOut(sourcePlan(env)) : [];
    if (leftOut.length > 0) {
        pulumi.log.warn(leftOutMessage(leftOut));
    } else if (!rendersManifests(env)) {
        await checkDownloads(sourcePlan(env));
    }
    const mesh = deployMesh(env, pulumi.getStack(), new Set(leftOut.map((download) => download.leaveOutKey!)));
    return {
        mode: mesh.mode,
        renderDirectory: mesh.renderDirectory,
        notRendered: leftOut.map((download) => download.what),
        calicoPolicyApi: mesh.calico.policyApi,
        appNamespaces: Object.keys(mesh.baseline.namespaces),
        gatewayHostnames: mesh.gateway?.hostnames ?? [],
        servicePrincipals: Object.fromEntries(Object.entries(mesh.services).map(([name, svc]) => [name, svc.principal])),
    };
};
