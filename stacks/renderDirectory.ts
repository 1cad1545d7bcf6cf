import * as fs from "fs";
import * as path from "path";
import { configPath } from "./config";
import { projectRoot } from "./stackFile";

/**
 * Where a render goes, and what ztmesh may write over. The Kubernetes provider writes one YAML
 * file per object into `0-crd/` and `1-manifest/` of the folder, and removes the files of
 * objects it deletes, so the folder must be one ztmesh renders into and nothing else:
 * - a relative `ztmesh:cluster.renderDirectory` is resolved against the project root (where
 *   Pulumi.yaml is), not the working directory, and must stay inside the project; a folder
 *   elsewhere is given as an absolute path;
 * - the folder may be new, empty, or a previous render: one holding the marker file below
 *   for the same stack, or, from before the marker, only the provider's `0-crd/` and
 *   `1-manifest/` folders of YAML files (the `rendered/<stack>/` layout);
 * - `pulumi up` writes the marker before the provider writes anything.
 */
export const renderMarkerFile = ".ztmesh-render";

const key = configPath(["cluster", "renderDirectory"]);

/** The provider's own layout inside a render folder. */
const providerFolders = ["0-crd", "1-manifest"];

/** Where rendered manifests go by default: a git-ignored folder per stack. */
export function defaultRenderDirectory(stack: string, root: string = projectRoot): string {
    return path.resolve(root, "rendered", stack);
}

/** The folder a render of `stack` writes to. */
export function resolveRenderDirectory(configured: string | undefined, stack: string, root: string = projectRoot): string {
    return configured === undefined ? defaultRenderDirectory(stack, root) : path.resolve(root, configured);
}

interface Marker {
    renderedBy: "ztmesh";
    stack: string;
}

function readMarker(file: string): Marker | undefined {
    try {
        const marker = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<Marker>;
        return marker.renderedBy === "ztmesh" && typeof marker.stack === "string" ? marker as Marker : undefined;
    } catch {
        return undefined;
    }
}

/** Whether `directory` holds only the provider's folders with YAML files in them: a render from before the marker. */
function isUnmarkedRender(directory: string, entries: readonly fs.Dirent[]): boolean {
    return entries.every((entry) => entry.isDirectory() && providerFolders.includes(entry.name)
        && fs.readdirSync(path.join(directory, entry.name), { withFileTypes: true }).every((file) => file.isFile() && file.name.endsWith(".yaml")));
}

/** What is wrong with rendering `stack` into the configured folder, each problem naming the key and the fix; empty when nothing is. */
export function renderDirectoryProblems(configured: string | undefined, stack: string, root: string = projectRoot): string[] {
    const directory = resolveRenderDirectory(configured, stack, root);
    const shown = configured === undefined ? `the default render folder ${directory}` : `"${configured}" (${directory})`;
    if (configured !== undefined) {
        if (configured.trim() === "") {
            return [`${key}: is empty; leave it out to render to rendered/${stack}, or name a folder`];
        }
        const inside = path.relative(root, directory);
        if (!path.isAbsolute(configured) && (inside === "" || inside.startsWith("..") || path.isAbsolute(inside))) {
            return [`${key}: ${shown} is not a folder inside the project; a relative path is resolved against the project root and stays below it, write an absolute path to render elsewhere`];
        }
    }
    if (!fs.existsSync(directory)) {
        return [];
    }
    if (!fs.statSync(directory).isDirectory()) {
        return [`${key}: ${shown} is a file, not a folder; name a new or empty folder`];
    }
    const entries = fs.readdirSync(directory, { withFileTypes: true });
    const marker = entries.some((entry) => entry.name === renderMarkerFile) ? readMarker(path.join(directory, renderMarkerFile)) : undefined;
    if (marker) {
        return marker.stack === stack
            ? []
            : [`${key}: ${shown} holds the render of stack "${marker.stack}"; give each stack a folder of its own`];
    }
    if (isUnmarkedRender(directory, entries)) {
        return [];
    }
    return [`${key}: ${shown} is not empty and is no ztmesh render (it has no ${renderMarkerFile} file); ztmesh writes over and deletes files there, so name a new or empty folder`];
}

/** Marks `directory` as the render folder of `stack` (see `renderMarkerFile`), creating it if needed. */
export function markRenderDirectory(directory: string, stack: string): void {
    fs.mkdirSync(directory, { recursive: true });
    const marker: Marker = { renderedBy: "ztmesh", stack };
    fs.writeFileSync(path.join(directory, renderMarkerFile), `${JSON.stringify(marker)}\n`);
}
