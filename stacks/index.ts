import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { SourcePlan, sourcePlan } from "./charts";
import { MeshPlatform, PlatformHandleError, platformOutputName } from "../components";
import { deployTeam } from "./application";
import { configError, configPath, readEnvironment } from "./config";
import { checkDownloads, downloadsToLeaveOut, leftOutMessage } from "./preflight";
import { manifestLocation, meshPlan, rendersManifests } from "./plan";
import { deployMesh } from "./program";
import { markRenderDirectory } from "./renderDirectory";
import { roleOf } from "./roles";
import { Environment } from "./schema";
import { validatedPlan } from "./validate";

/** The Gateway API CRD manifest's content (a local file or a URL the preflight found reachable). */
async function readGatewayApiCrds(plan: SourcePlan): Promise<string | undefined> {
    const source = plan.gatewayApiCrds;
    if (source === undefined) {
        return undefined;
    }
    if (!/^https?:\/\//.test(source)) {
        return fs.readFileSync(manifestLocation(source), "utf8");
    }
    const response = await fetch(source, { redirect: "follow", signal: AbortSignal.timeout(60_000) });
    if (!response.ok) {
        throw new pulumi.RunError(`the Gateway API CRDs cannot be fetched from ${source} (HTTP ${response.status})`);
    }
    return response.text();
}

/**
 * The ztmesh program every environment runs; the environment is `Pulumi.<stack>.yaml`.
 * Exported as a function so Pulumi (and tests) run it after config is in place. It first
 * validates the whole config (one error listing every mistake by its `ztmesh:` key), marks
 * the render folder on `pulumi up`, then checks that every chart and manifest it will
 * download is reachable: a deploy stops on the first that is not; a render leaves
 * unreachable charts and CRDs out and says so in one line.
 */
export = async () => {
    const env = readEnvironment();
    const stack = pulumi.getStack();
    if (roleOf(env) === "application") {
        return deployApplication(env, stack);
    }
    // Every mistake in the config is reported now, before anything is downloaded or registered.
    const checked = validatedPlan(meshPlan(env, stack), env);
    if (checked.renderDirectory !== undefined && !pulumi.runtime.isDryRun()) {
        markRenderDirectory(checked.renderDirectory, stack);
    }
    const plan = sourcePlan(env);
    const renders = rendersManifests(env);
    const leftOut = renders ? await downloadsToLeaveOut(plan) : [];
    if (leftOut.length > 0) {
        pulumi.log.warn(leftOutMessage(leftOut));
    } else if (!renders) {
        await checkDownloads(plan);
    }
    const leftOutKeys = new Set(leftOut.map((download) => download.leaveOutKey!));
    const gatewayApiCrdsManifest = await readGatewayApiCrds(sourcePlan(env, leftOutKeys));
    const mesh = deployMesh(env, stack, { leftOut: leftOutKeys, gatewayApiCrdsManifest });
    return {
        mode: mesh.mode,
        renderDirectory: mesh.renderDirectory,
        notRendered: leftOut.map((download) => download.what),
        calicoPolicyApi: mesh.calico.policyApi,
        clusterPolicy: env.baseline?.clusterPolicy ?? "calico",
        appNamespaces: Object.keys(mesh.baseline.namespaces),
        dataplaneMode: mesh.istio.dataplaneMode,
        waypoints: Object.keys(mesh.waypoints),
        gatewayHostnames: mesh.gateway?.hostnames ?? [],
        servicePrincipals: Object.fromEntries(Object.entries(mesh.services).map(([name, svc]) => [name, svc.principal])),
        ...(mesh.platform ? { [platformOutputName]: mesh.platform } : {}),
    };
};

/**
 * An application stack: its platform's handle is read through a StackReference (and registered
 * as a PlatformReference, which the policy pack reads), then the team's services are validated
 * against it and created.
 */
async function deployApplication(env: Environment, stack: string) {
    let platform: MeshPlatform;
    try {
        platform = await MeshPlatform.fromStack(env.platform!);
    } catch (error) {
        if (error instanceof PlatformHandleError) {
            throw configError([`${configPath(["platform"])}: ${error.message}`]);
        }
        throw error;
    }
    const deployment = deployTeam(env, stack, platform);
    if (deployment.renderDirectory !== undefined && !pulumi.runtime.isDryRun()) {
        markRenderDirectory(deployment.renderDirectory, stack);
    }
    return {
        mode: deployment.mode,
        renderDirectory: deployment.renderDirectory,
        team: deployment.team,
        platform: env.platform,
        waypoints: Object.keys(deployment.waypoints),
        servicePrincipals: Object.fromEntries(Object.entries(deployment.services).map(([name, svc]) => [name, svc.principal])),
    };
}
