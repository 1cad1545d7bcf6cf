import { PolicyConfigSchema } from "@pulumi/policy";
import { KubeObject } from "./kubernetes";

/**
 * Policy configuration. Each rule takes `exemptions`; rules about ingress take the approved
 * Gateways; rules about the mesh take the control-plane namespaces. Set them per rule in a
 * `--policy-pack-config` file (see sample-config.json); defaults match what ztmesh deploys.
 */
export const defaults = {
    /** Gateways routes may attach to and whose pods may take traffic from anywhere, as `namespace/name`. */
    approvedGateways: ["istio-ingress/mesh-gateway"],
    /** Services of type LoadBalancer/NodePort that front an approved gateway (classic ingress), as `namespace/name`. */
    publicServices: ["istio-ingress/istio-ingressgateway"],
    /** Namespaces of the cluster's own control plane: exempt from the app-namespace rules. */
    controlPlaneNamespaces: ["kube-system", "kube-public", "kube-node-lease", "calico-system", "calico-apiserver", "tigera-operator", "istio-system"],
    /** Istio's root namespace, where mesh-wide policy lives. */
    rootNamespace: "istio-system",
    /** Stack names that are production, where nothing may run in audit mode; `*` matches any run of characters. */
    productionStacks: ["prod*"],
};

const stringList = (description: string, value: string[]) => ({ type: "array" as const, items: { type: "string" as const }, default: value, description });

export const schemaProperties = {
    exemptions: stringList(
        "Objects this rule does not apply to, as `Kind/namespace/name` (or `Kind/name` for cluster-scoped kinds); `*` matches a whole segment. Give each exemption a reason in version control.",
        [],
    ),
    approvedGateways: stringList("Gateways (`namespace/name`) that may carry public routes and take traffic from anywhere.", defaults.approvedGateways),
    publicServices: stringList("LoadBalancer/NodePort Services (`namespace/name`) that front an approved gateway.", defaults.publicServices),
    controlPlaneNamespaces: stringList("Control-plane namespaces, exempt from rules about application namespaces.", defaults.controlPlaneNamespaces),
    rootNamespace: { type: "string" as const, default: defaults.rootNamespace, description: "Istio's root namespace." },
    productionStacks: stringList("Names of production stacks (as `pulumi stack ls` shows them, without organization and project); `*` matches any run of characters.", defaults.productionStacks),
};

export type ConfigKey = keyof typeof schemaProperties;

/** The config schema of a rule that reads `keys`. */
export function configSchema(...keys: ConfigKey[]): PolicyConfigSchema {
    return { properties: Object.fromEntries(["exemptions", ...keys].map((key) => [key, schemaProperties[key as ConfigKey]])) };
}

export interface RuleConfig {
    exemptions: string[];
    approvedGateways: string[];
    publicServices: string[];
    controlPlaneNamespaces: string[];
    rootNamespace: string;
    productionStacks: string[];
}

/** A rule's config: what the user set, over the defaults (the CLI may or may not have filled them in). */
export function ruleConfig(getConfig: <T extends object>() => T): RuleConfig {
    return { exemptions: [], ...defaults, ...getConfig<Partial<RuleConfig>>() };
}

/** The pods of the approved gateways: Gateway API gateways deployed by istiod, and classic gateway Services. */
export function approvedGatewayPods(config: RuleConfig): { namespace: string; podLabels: Record<string, string> }[] {
    const gatewayApi = config.approvedGateways.map((ref) => {
        const [namespace, name] = ref.split("/");
        return { namespace, podLabels: { "gateway.networking.k8s.io/gateway-name": name } };
    });
    // The classic `gateway` chart labels its pods `istio: <release name without "istio-">`.
    const classic = config.publicServices.map((ref) => {
        const [namespace, name] = ref.split("/");
        return { namespace, podLabels: { istio: name.replace(/^istio-/, "") } };
    });
    return [...gatewayApi, ...classic];
}

/**
 * Whether a stack name matches a `productionStacks` pattern: `*` stands for any run of
 * characters, everything else for itself. Written here rather than with a glob library: the
 * pattern language is this one wildcard, as in `exemptions`.
 */
export function stackNameMatches(pattern: string, name: string): boolean {
    const literal = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
    return new RegExp(`^${literal.join(".*")}$`).test(name);
}

function segmentsMatch(pattern: string, value: string): boolean {
    const want = pattern.split("/");
    const have = value.split("/");
    return want.length === have.length && want.every((segment, i) => segment === "*" || segment === have[i]);
}

/**
 * Whether `object` is listed in `exemptions`. Without exemptions (the default) the object is not
 * read: every rule asks this of every object of its kinds, through the analyzer's proxy.
 */
export function isExempt(object: KubeObject, exemptions: readonly string[]): boolean {
    if (exemptions.length === 0) {
        return false;
    }
    const meta = object.metadata ?? {};
    const reference = meta.namespace ? `${object.kind}/${meta.namespace}/${meta.name}` : `${object.kind}/${meta.name}`;
    return exemptions.some((pattern) => segmentsMatch(pattern, reference));
}
