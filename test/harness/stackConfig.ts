import { stackFileConfig as stackConfig } from "../../stacks/stackFile";

export { projectRoot, stackFileConfig as stackConfig } from "../../stacks/stackFile";

/** A deep copy of a stack's config with `edit` applied to the parsed value of `key`. */
export function editedConfig(stack: string, key: string, edit: (value: any) => any): Record<string, string> {
    const config = stackConfig(stack);
    const current = config[key] === undefined ? undefined : JSON.parse(config[key]);
    config[key] = JSON.stringify(edit(current));
    return config;
}

/** Which keys Pulumi would hand the program as secrets when the kubeconfig was set with `pulumi config set --secret`. */
export const kubeconfigIsSecret = (key: string): boolean => key === "ztmesh:kubeconfig";
