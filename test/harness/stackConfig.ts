import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export const projectRoot = path.resolve(__dirname, "..", "..");

/**
 * The config of `Pulumi.<stack>.yaml` as Pulumi hands it to the program: one entry per key,
 * objects and lists as JSON text.
 */
export function stackConfig(stack: string): Record<string, string> {
    const file = path.join(projectRoot, `Pulumi.${stack}.yaml`);
    const document = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    return Object.fromEntries(
        Object.entries(document.config ?? {}).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
    );
}

/** A deep copy of a stack's config with `edit` applied to the parsed value of `key`. */
export function editedConfig(stack: string, key: string, edit: (value: any) => any): Record<string, string> {
    const config = stackConfig(stack);
    const current = config[key] === undefined ? undefined : JSON.parse(config[key]);
    config[key] = JSON.stringify(edit(current));
    return config;
}
