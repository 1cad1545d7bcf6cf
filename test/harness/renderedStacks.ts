/**
 * The objects the dev, prod and ambient stacks register offline (stacks/offline.ts
 * stackObjects), rendered once per test process: several test files read them, and each render
 * runs the whole stack program under mocks. Every call returns a copy of its own, so that no test
 * sees what another changed. Prod's kubeconfig only has to be present for a cluster deployment.
 */
import type { KubeObject } from "../../analysis/manifests";
import { parseEnvironment } from "../../stacks/config";
import { stackObjects } from "../../stacks/offline";
import { kubeconfigIsSecret, stackConfig } from "./stackConfig";

export type RenderedStack = "dev" | "prod" | "ambient";

const rendered = new Map<RenderedStack, Promise<KubeObject[]>>();

export async function renderedStackObjects(stack: RenderedStack): Promise<KubeObject[]> {
    let objects = rendered.get(stack);
    if (objects === undefined) {
        const config = stack === "prod" ? { ...stackConfig(stack), "ztmesh:kubeconfig": "apiVersion: v1" } : stackConfig(stack);
        objects = stackObjects(parseEnvironment(config, kubeconfigIsSecret), stack);
        rendered.set(stack, objects);
    }
    return structuredClone(await objects);
}
