import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { KubeObject } from "../../analysis/manifests";
import { syntheticCluster } from "./syntheticCluster";

/**
 * Writes the synthetic cluster of `workloads` workloads as manifests under `folder` (see
 * writeObjectFiles). Returns the number of objects. `objects`: another cluster of that many
 * workloads to write instead (clusterPolicyCluster.ts).
 */
export function writeClusterFiles(workloads: number, folder: string, objects: readonly KubeObject[] = syntheticCluster(workloads)): number {
    return writeObjectFiles(objects, folder);
}

/**
 * Writes `objects` as manifests under `folder`, as a `kubectl get -o yaml` dump per namespace
 * would be laid out: one multi-document YAML file per namespace, and the cluster-scoped
 * objects in `cluster.yaml`. Returns the number of objects.
 */
export function writeObjectFiles(objects: readonly KubeObject[], folder: string): number {
    const byFile = new Map<string, KubeObject[]>();
    for (const object of objects) {
        const namespace = object.kind === "Namespace" ? object.metadata?.name : object.metadata?.namespace;
        const file = namespace === undefined ? "cluster.yaml" : `${namespace}.yaml`;
        const contents = byFile.get(file);
        if (contents) {
            contents.push(object);
        } else {
            byFile.set(file, [object]);
        }
    }
    fs.mkdirSync(folder, { recursive: true });
    for (const [file, contents] of byFile) {
        fs.writeFileSync(path.join(folder, file), contents.map((object) => YAML.stringify(object)).join("---\n"));
    }
    return objects.length;
}
