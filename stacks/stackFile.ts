import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/** The folder of Pulumi.yaml and the stack files. */
export const projectRoot = path.resolve(__dirname, "..");

/**
 * The config of `Pulumi.<stack>.yaml` as Pulumi hands it to the program: one entry per key,
 * objects and lists as JSON text. Encrypted (`secure:`) values stay as they are: only the
 * Pulumi CLI can decrypt them.
 */
export function stackFileConfig(stack: string, root: string = projectRoot): Record<string, string> {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    const document = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    return Object.fromEntries(
        Object.entries(document?.config ?? {}).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
    );
}

/**
 * The config the stack program gets when it runs offline (no Pulumi CLI, no cluster): the
 * kubeconfig is dropped, as nothing is deployed; any other encrypted value is an error, as only
 * the CLI can decrypt it.
 */
export function offlineStackConfig(stack: string, root: string = projectRoot): Record<string, string> {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const stacks = fs.readdirSync(root).flatMap((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1] ?? []);
        throw new StackFileError(`no stack "${stack}": ${file} does not exist (stacks here: ${stacks.join(", ") || "none"})`);
    }
    const config = stackFileConfig(stack, root);
    delete config["ztmesh:kubeconfig"];
    const encrypted = Object.keys(config).filter((key) => /^\{"secure":/.test(config[key]));
    if (encrypted.length > 0) {
        throw new StackFileError(`${file}: ${encrypted.join(", ")} cannot be read offline: only the Pulumi CLI decrypts secure values. `
            + "Keep secrets other than ztmesh:kubeconfig out of the stack's config, or run `ztmesh reach --html` on the rendered stack");
    }
    return config;
}

/** A stack file that cannot be used; the message says which and why. */
export class StackFileError extends Error {}
