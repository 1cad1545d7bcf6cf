import * as fs from "fs";
import * as path from "path";

/**
 * The last line of `npm run up`: what the stack did, in one line. Reads the stack outputs
 * (`pulumi stack output --json`) and, in render mode, counts the rendered manifests (the
 * provider writes one file per object).
 */
export function upSummary(stack: string, outputs: Record<string, any>, seconds: number): string {
    if (outputs.mode !== "render") {
        return `[up +${seconds}s] ${stack}: deployed (calico policy API ${outputs.calicoPolicyApi}, ${outputs.appNamespaces?.length ?? 0} app namespaces)`;
    }
    const directory: string = outputs.renderDirectory;
    const files = fs.existsSync(directory)
        ? fs.readdirSync(directory, { recursive: true }).map(String).filter((file) => file.endsWith(".yaml"))
        : [];
    const shown = path.relative(process.cwd(), directory) || directory;
    const notRendered: string[] = outputs.notRendered ?? [];
    const left = notRendered.length > 0 ? `; not rendered (cannot be fetched, see the warning above): ${notRendered.join(", ")}` : "";
    return `[up +${seconds}s] ${stack}: rendered ${files.length} objects to ${shown}/${left}`;
}

if (require.main === module) {
    const [stack, outputs, seconds] = process.argv.slice(2);
    console.log(upSummary(stack, JSON.parse(outputs), Number(seconds)));
}
