import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { CalicoPolicyApi, CalicoRule, GlobalNetworkPolicySpec, globalNetworkPolicy } from "../calico/policyApi";
import { WorkloadIdentity, calicoLabelSelector, calicoNamespaceSelector, checkWorkloadIdentity, networkPolicyPeer } from "../identity";
import { Problems, checkDns1123Label, checkLabels, checkPortNumber, checkUnique, entryField } from "../problems";
import { DataplaneMode } from "../istio/dataplane";
import { ambient, controlPlaneNamespaces, istioNamespace, istioPorts, istiod, kubeDns } from "../../common/wellKnown";
import { EnforcementMode, PolicyEnforcement, authorizationPolicy, checkEnforcement, mtlsMode, podNetworkPolicy } from "../enforcement";
import { GuardrailArgs, clusterNetworkPolicies, clusterNetworkPolicy, guardrailNetworkPolicies } from "./clusterNetworkPolicy";

/**
 * Which objects carry the cluster guardrails (the default-deny and the allows a cluster needs):
 * - `calico`: Calico GlobalNetworkPolicies, in Calico's `default` tier;
 * - `clusterNetworkPolicy`: Kubernetes ClusterNetworkPolicies (policy.networking.k8s.io/v1alpha2),
 *   enforced by any network plugin that implements them (Calico 3.32, Cilium, Antrea, GKE
 *   Dataplane V2), plus NetworkPolicies for what that API cannot express (sources by address).
 */
export type ClusterPolicyMode = "calico" | "clusterNetworkPolicy";

export const clusterPolicyModes: readonly ClusterPolicyMode[] = ["calico", "clusterNetworkPolicy"];

/** A namespace that holds applications: default-deny at both layers, in the mesh (sidecar injection or ambient). */
export interface AppNamespace {
    name: string;
    /** Extra labels, e.g. a MeshGateway's `routeNamespaceLabels`. */
    labels?: Record<string, string>;
    /** Whether the namespace's policy denies or only observes. Default: the baseline's `enforcement`. */
    enforcement?: EnforcementMode;
}

export interface ZeroTrustBaselineArgs {
    /**
     * The Calico install (a `Calico` component): which policy API to write, and what to wait for.
     * Required in `calico` mode; in `clusterNetworkPolicy` mode only what to wait for (the CRD
     * comes with Calico's), and may be left out on another network plugin.
     */
    calico?: { policyApi: CalicoPolicyApi; ready: pulumi.Resource[] };
    /** Which objects carry the cluster guardrails (see `ClusterPolicyMode`). Default: `calico`. */
    clusterPolicy?: ClusterPolicyMode;
    /**
     * The Istio install (an `Istio` component): injection labels, data plane mode, what to wait
     * for, and the mode of its mesh-wide mTLS (default `enforce`, STRICT).
     */
    istio: { injectionLabels: Record<string, string>; ready: pulumi.Resource[]; dataplaneMode?: DataplaneMode; enforcement?: EnforcementMode };
    /**
     * Whether the baseline's denies take effect (`enforce`, the default) or only observe
     * (`audit`): the cluster default-deny and, unless a namespace says otherwise, each app
     * namespace's default-deny NetworkPolicy and allow-nothing AuthorizationPolicy. Allows are
     * written as they are in both modes. See docs/zero-trust-baseline.md, "Audit mode".
     */
    enforcement?: EnforcementMode;
    /**
     * The enforcing allows the denies must not take effect before: the MeshServices' policy
     * objects (`MeshService.policies`). Every enforcing deny of the baseline depends on them, so
     * a promotion from audit to enforce creates each allow before any deny that needs it, and
     * one back to audit deletes the denies before their allows. May resolve after the services
     * exist (a promise). Default: none.
     */
    enforcingAllows?: pulumi.Input<pulumi.Resource[]>;
    /** Application namespaces, created here with injection labels and per-namespace default-deny. */
    namespaces: AppNamespace[];
    /**
     * Namespaces the cluster default-deny leaves out. Default: the control plane — kube-system,
     * calico-system, calico-apiserver, tigera-operator, istio-system.
     */
    controlPlaneNamespaces?: string[];
    /** The ingress gateway's pods, whose 15021 health port load balancers probe. Default: none. */
    gateway?: WorkloadIdentity;
    /** The Prometheus identity that may scrape sidecar metrics (15020, 15090). Default: no scraping. */
    monitoring?: WorkloadIdentity;
    /**
     * Application metrics ports (container ports) Prometheus scrapes besides the sidecar's; each
     * MeshService admits it on its own metrics ports. Default: none.
     */
    metricsPorts?: number[];
    /**
     * Source ranges of the Kubernetes API server, which calls istiod's webhook (15017). The
     * API server runs on the host network, whose range differs per cluster. When set, istiod's
     * webhook port is allowed from these ranges only; when not, ztmesh adds no rule and istiod
     * keeps the policy Istio's chart gives it (`global.networkPolicy`), since istio-system is
     * outside the cluster default-deny. Default: not set.
     */
    apiServerCidrs?: string[];
}

/**
 * Everything wrong with a ZeroTrustBaseline declaration, each problem naming the field and the
 * fix: names and labels as the API server checks them, and the gateway and monitoring
 * identities as every identity is checked (`checkWorkloadIdentity`), since their pod labels
 * become Calico selectors and NetworkPolicy peers.
 */
export function validateBaselineArgs(args: ZeroTrustBaselineArgs): Problems {
    const problems = new Problems();
    const mode = args.clusterPolicy ?? "calico";
    const staging = { calicoPolicyApi: args.calico?.policyApi, field: "calico" };
    checkEnforcement(problems, "enforcement", args.enforcement, staging);
    args.namespaces.forEach((ns, index) => checkEnforcement(problems, `namespaces[${index}].enforcement`, ns.enforcement, staging));
    checkEnforcement(problems, "istio.enforcement", args.istio.enforcement);
    if (mode === "clusterNetworkPolicy") {
        // ClusterNetworkPolicy has no staged or dry-run form (network-policy-api v1alpha2), and
        // its default-deny would cut the pods whose NetworkPolicies audit mode stages.
        const audited = [
            ...(args.enforcement === "audit" ? ["enforcement"] : []),
            ...args.namespaces.flatMap((ns, index) => (ns.enforcement === "audit" ? [`namespaces[${index}].enforcement`] : [])),
        ];
        for (const field of audited) {
            problems.add(field, "audit mode is not available with clusterPolicy \"clusterNetworkPolicy\": a ClusterNetworkPolicy cannot be staged, and its default-deny would cut the pods whose NetworkPolicies audit mode stages",
                "use clusterPolicy \"calico\" (Calico's staged policies) to audit, or enforce");
        }
    }
    if (!clusterPolicyModes.includes(mode)) {
        problems.add("clusterPolicy", `${JSON.stringify(mode)} is not a cluster policy mode`, `use one of ${clusterPolicyModes.map((m) => JSON.stringify(m)).join(", ")}`);
    } else if (mode === "calico" && args.calico === undefined) {
        problems.add("calico", "is required: the calico mode writes Calico GlobalNetworkPolicies", `pass the Calico component, or set clusterPolicy: "clusterNetworkPolicy" on a network plugin without Calico`);
    } else if (mode === "clusterNetworkPolicy" && args.monitoring !== undefined && !args.apiServerCidrs?.length) {
        // Calico's rule names the API server by its Service; no ClusterNetworkPolicy peer can.
        problems.add("apiServerCidrs", "is required with monitoring in clusterNetworkPolicy mode: Prometheus reaches the API server, which a ClusterNetworkPolicy can name by its addresses only",
            "set the API server's source ranges, or use the calico mode");
    }
    args.namespaces.forEach((ns, index) => {
        checkDns1123Label(problems, `namespaces[${index}].name`, ns.name);
        const exempt: readonly string[] = args.controlPlaneNamespaces ?? controlPlaneNamespaces;
        if (exempt.includes(ns.name)) {
            problems.add(`namespaces[${index}].name`, `"${ns.name}" is a control-plane namespace`, "deploy applications in a namespace of their own");
        }
    });
    checkUnique(problems, "namespaces", "name", args.namespaces.map((ns) => ns.name), "declare each namespace once");
    args.namespaces.forEach((ns, index) => {
        const field = `namespaces[${index}].labels`;
        checkLabels(problems, field, ns.labels ?? {});
        for (const [key, value] of Object.entries(ns.labels ?? {})) {
            const injected = args.istio.injectionLabels[key];
            if (injected !== undefined && injected !== value) {
                problems.add(entryField(field, key), `the mesh sets this label to "${injected}", which would replace "${value}"`, "drop the label: the namespace joins the mesh with the Istio component's labels");
            }
        }
    });
    (args.controlPlaneNamespaces ?? []).forEach((ns, index) => checkDns1123Label(problems, `controlPlaneNamespaces[${index}]`, ns));
    // Both identities select pods in Calico and Kubernetes policy: no label would select every pod of the namespace.
    if (args.gateway !== undefined) {
        checkWorkloadIdentity(problems, "gateway", args.gateway);
    }
    if (args.monitoring !== undefined) {
        checkWorkloadIdentity(problems, "monitoring", args.monitoring);
    }
    (args.metricsPorts ?? []).forEach((port, index) => checkPortNumber(problems, `metricsPorts[${index}]`, port));
    (args.apiServerCidrs ?? []).forEach((cidr, index) => {
        if (!ipaddr.isValidCIDR(cidr)) {
            problems.add(`apiServerCidrs[${index}]`, `"${cidr}" is not a CIDR`, `write a range with its mask, e.g. "${cidr}/32"`);
        }
    });
    return problems;
}

/** Calico selector for every namespace except `exempt`. */
export function appNamespaceSelector(exempt: readonly string[]): string {
    return `projectcalico.org/name not in {${exempt.map((ns) => JSON.stringify(ns)).join(", ")}}`;
}

/** Allow rules are ordered before Kubernetes NetworkPolicies (Calico gives those order 1000). */
const allowOrder = 100;

function tcp(destination: CalicoRule["destination"], source?: CalicoRule["source"]): CalicoRule {
    return { action: "Allow", protocol: "TCP", ...(source ? { source } : {}), destination };
}

function endpointsOf(identity: Pick<WorkloadIdentity, "namespace" | "podLabels">) {
    return { selector: calicoLabelSelector(identity.podLabels), namespaceSelector: calicoNamespaceSelector(identity.namespace) };
}

/** The mode of an app namespace: its own, or the baseline's. */
export function namespaceMode(args: Pick<ZeroTrustBaselineArgs, "enforcement">, ns: AppNamespace): EnforcementMode {
    return ns.enforcement ?? args.enforcement ?? "enforce";
}

/** The name of the cluster default-deny, in both its enforcing and its staged kind. */
export const clusterDefaultDenyName = "ztmesh-default-deny";

/**
 * The cluster default-deny, one per mode in use: the enforcing `GlobalNetworkPolicy` selects
 * the app namespaces that are enforced, the `StagedGlobalNetworkPolicy` those audited (a
 * namespace not declared here takes the baseline's mode). One policy for all would cut an
 * audited namespace (whose NetworkPolicies are staged, so nothing allows its pods' traffic),
 * or leave an enforced one open. Rule-less: selecting a pod with both types is what denies it
 * everything no other policy allows (Calico's end-of-tier drop), so order is irrelevant.
 */
export function clusterDefaultDenies(args: ZeroTrustBaselineArgs): { staged: boolean; spec: GlobalNetworkPolicySpec }[] {
    const exempt = args.controlPlaneNamespaces ?? [...controlPlaneNamespaces];
    const baselineMode = args.enforcement ?? "enforce";
    const otherMode = args.namespaces.filter((ns) => namespaceMode(args, ns) !== baselineMode).map((ns) => ns.name);
    const deny = (namespaceSelector: string): GlobalNetworkPolicySpec => ({ namespaceSelector, selector: "all()", types: ["Ingress", "Egress"] });
    const denies = [{ staged: baselineMode === "audit", spec: deny(appNamespaceSelector([...exempt, ...otherMode])) }];
    if (otherMode.length > 0) {
        denies.push({ staged: baselineMode !== "audit", spec: deny(`projectcalico.org/name in {${otherMode.map((ns) => JSON.stringify(ns)).join(", ")}}`) });
    }
    return denies;
}

/**
 * The cluster-wide Calico allows, by name, without which a default-denied cluster breaks (the
 * default-deny itself: `clusterDefaultDenies`). Pure data, so tests read it directly.
 */
export function clusterPolicies(args: ZeroTrustBaselineArgs): Record<string, GlobalNetworkPolicySpec> {
    const exempt = args.controlPlaneNamespaces ?? [...controlPlaneNamespaces];
    const apps = appNamespaceSelector(exempt);
    const dns = { ...endpointsOf(kubeDns), ports: [kubeDns.port] };
    const policies: Record<string, GlobalNetworkPolicySpec> = {
        "ztmesh-allow-dns": {
            order: allowOrder,
            namespaceSelector: apps,
            selector: "all()",
            types: ["Egress"],
            egress: [
                { action: "Allow", protocol: "UDP", destination: dns },
                { action: "Allow", protocol: "TCP", destination: dns },
            ],
        },
        "ztmesh-allow-istiod": {
            order: allowOrder,
            namespaceSelector: apps,
            selector: "all()",
            types: ["Egress"],
            egress: [tcp({ ...endpointsOf(istiod), ports: [istioPorts.xds] })],
        },
    };
    if (args.apiServerCidrs?.length) {
        policies["ztmesh-allow-istiod-webhook"] = {
            order: allowOrder,
            ...endpointsOf(istiod),
            types: ["Ingress"],
            ingress: [tcp({ ports: [istioPorts.webhook] }, { nets: args.apiServerCidrs })],
        };
    }
    if (args.gateway) {
        policies["ztmesh-allow-gateway-health"] = {
            order: allowOrder,
            ...endpointsOf(args.gateway),
            types: ["Ingress"],
            ingress: [tcp({ ports: [istioPorts.health] })],
        };
    }
    if (args.monitoring) {
        const scrapePorts = [istioPorts.agentMetrics, istioPorts.envoyMetrics];
        const appMetricsPorts = [...new Set(args.metricsPorts ?? [])].filter((port) => !scrapePorts.includes(port as 15020)).sort((a, b) => a - b);
        policies["ztmesh-allow-metrics-scrape"] = {
            order: allowOrder,
            namespaceSelector: apps,
            selector: "all()",
            types: ["Ingress"],
            ingress: [tcp({ ports: scrapePorts }, endpointsOf(args.monitoring))],
        };
        // Prometheus lives in a default-denied namespace too: it may reach the scrape ports and
        // the API server (service discovery), nothing else; in ambient mode also ztunnel's metrics,
        // and HBONE, which carries its scrapes of the metrics ports between ambient pods (the
        // services' ztunnel policies admit it on those ports only).
        const ambientMode = args.istio.dataplaneMode === "ambient";
        policies["ztmesh-allow-monitoring-egress"] = {
            order: allowOrder,
            ...endpointsOf(args.monitoring),
            types: ["Egress"],
            egress: [
                tcp({ namespaceSelector: apps, selector: "all()", ports: [...scrapePorts, ...appMetricsPorts, ...(ambientMode ? [istioPorts.hbone] : [])] }),
                tcp({ services: { name: "kubernetes", namespace: "default" } }),
                ...(ambientMode
                    ? [tcp({ ...endpointsOf({ namespace: istioNamespace, podLabels: ambient.ztunnelPodLabels }), ports: [istioPorts.agentMetrics] })]
                    : []),
            ],
        };
    }
    if (args.istio.dataplaneMode === "ambient") {
        // Once a pod is in the ambient mesh its kubelet health probes arrive from this link-local
        // address (SNAT by the Istio CNI agent, node-local only); Istio's NetworkPolicy guide asks to admit it.
        policies["ztmesh-allow-kubelet-probes"] = {
            order: allowOrder,
            namespaceSelector: apps,
            selector: "all()",
            types: ["Ingress"],
            ingress: [tcp({}, { nets: [ambient.kubeletProbeCidr] })],
        };
    }
    return policies;
}

/** The arguments of the `clusterNetworkPolicy` mode's guardrails. */
export function guardrailArgs(args: ZeroTrustBaselineArgs): GuardrailArgs {
    return {
        exempt: args.controlPlaneNamespaces ?? [...controlPlaneNamespaces],
        dataplaneMode: args.istio.dataplaneMode,
        monitoring: args.monitoring,
        metricsPorts: args.metricsPorts ?? [],
        apiServerCidrs: args.apiServerCidrs,
        gateway: args.gateway,
    };
}

/**
 * The cluster default: deny first, at both layers. Cluster-wide guardrails for every namespace
 * outside the control plane: a default-deny plus the allows a cluster needs (DNS, istiod,
 * webhook, gateway health, metrics scraping when monitoring is on), as Calico
 * `GlobalNetworkPolicy` objects or, in `clusterNetworkPolicy` mode, as Kubernetes
 * `ClusterNetworkPolicy` objects (see clusterNetworkPolicy.ts). Per app namespace: the namespace
 * itself (with sidecar injection), a Kubernetes default-deny `NetworkPolicy` (portable to CNIs
 * without Calico) and an Istio allow-nothing `AuthorizationPolicy`. Each MeshService then
 * allows exactly what it declares.
 */
export class ZeroTrustBaseline extends pulumi.ComponentResource {
    /** The app namespaces, by name. MeshServices in them should depend on these. */
    public readonly namespaces: Record<string, k8s.core.v1.Namespace> = {};
    /**
     * The cluster-wide Calico policies, by name (calico mode); the staged default-deny of
     * audited namespaces as `ztmesh-default-deny (staged)`.
     */
    public readonly globalPolicies: Record<string, k8s.apiextensions.CustomResource> = {};
    /** The ClusterNetworkPolicies, by name (clusterNetworkPolicy mode). */
    public readonly clusterNetworkPolicies: Record<string, k8s.apiextensions.CustomResource> = {};

    constructor(name: string, args: ZeroTrustBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ztmesh:index:ZeroTrustBaseline", name, {}, opts);
        validateBaselineArgs(args).throwIfAny(`ZeroTrustBaseline "${name}"`, this);

        const enforcingAllows = pulumi.output(args.enforcingAllows ?? []);
        if ((args.clusterPolicy ?? "calico") === "calico") {
            const api = args.calico!.policyApi;
            for (const [policyName, spec] of Object.entries(clusterPolicies(args))) {
                this.globalPolicies[policyName] = globalNetworkPolicy(`${name}-${policyName}`, policyName, api, spec, {
                    parent: this,
                    dependsOn: args.calico!.ready,
                });
            }
            // The enforcing default-deny after every allow (the cluster's and the services'), so a
            // promotion never drops a declared flow; the staged one enforces nothing and waits for nothing more.
            const allows = Object.values(this.globalPolicies);
            for (const { staged, spec } of clusterDefaultDenies(args)) {
                const deny = globalNetworkPolicy(`${name}-${clusterDefaultDenyName}`, clusterDefaultDenyName, api, spec, {
                    parent: this,
                    dependsOn: staged ? args.calico!.ready : enforcingAllows.apply((services) => [...args.calico!.ready, ...allows, ...services]),
                }, staged);
                this.globalPolicies[staged ? `${clusterDefaultDenyName} (staged)` : clusterDefaultDenyName] = deny;
            }
        } else {
            const guardrails = guardrailArgs(args);
            for (const [policyName, spec] of Object.entries(clusterNetworkPolicies(guardrails))) {
                this.clusterNetworkPolicies[policyName] = clusterNetworkPolicy(`${name}-${policyName}`, policyName, spec, {
                    parent: this,
                    dependsOn: args.calico?.ready ?? [],
                });
            }
            // These live in the gateway's and istiod's namespaces, which other components create:
            // they wait for Istio and for what the baseline itself was told to wait for.
            for (const [policyName, { namespace, spec }] of Object.entries(guardrailNetworkPolicies(guardrails))) {
                new k8s.networking.v1.NetworkPolicy(`${name}-${policyName}`, {
                    metadata: { name: policyName, namespace },
                    spec,
                }, { parent: this, dependsOn: pulumi.output(opts?.dependsOn ?? []).apply((deps) => [...args.istio.ready, ...[deps].flat()]) });
            }
        }

        for (const appNamespace of args.namespaces) {
            this.namespaces[appNamespace.name] = this.appNamespace(name, appNamespace, args, enforcingAllows);
        }
        this.registerOutputs({
            namespaces: Object.keys(this.namespaces),
            globalPolicies: Object.keys(this.globalPolicies),
            clusterNetworkPolicies: Object.keys(this.clusterNetworkPolicies),
        });
    }

    /**
     * One app namespace: the namespace, its default-deny NetworkPolicy and allow-nothing
     * AuthorizationPolicy, and its allows. In audit mode every NetworkPolicy is staged (each one
     * isolates the pods it selects: an enforcing allow-metrics-scrape alone would refuse every
     * caller but Prometheus), allow-nothing is dry-run, and mTLS is PERMISSIVE when the mesh's
     * is not (and STRICT in an enforced namespace of a PERMISSIVE mesh).
     */
    private appNamespace(name: string, appNamespace: AppNamespace, args: ZeroTrustBaselineArgs, enforcingAllows: pulumi.Output<pulumi.Resource[]>): k8s.core.v1.Namespace {
        const ns = appNamespace.name;
        const mode = namespaceMode(args, appNamespace);
        const enforcement: PolicyEnforcement = { mode, calicoPolicyApi: args.calico?.policyApi };
        const namespace = new k8s.core.v1.Namespace(`${name}-${ns}`, {
            metadata: { name: ns, labels: { ...appNamespace.labels, ...args.istio.injectionLabels } },
        }, { parent: this });
        const allows: pulumi.Resource[] = [];
        if (args.monitoring) {
            allows.push(podNetworkPolicy(`${name}-${ns}-allow-metrics-scrape`, { name: "allow-metrics-scrape", namespace: ns }, {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [{
                    from: [networkPolicyPeer(args.monitoring)],
                    ports: [istioPorts.agentMetrics, istioPorts.envoyMetrics].map((port) => ({ protocol: "TCP", port })),
                }],
            }, enforcement, { parent: this, dependsOn: [namespace] }));
        }
        if (args.istio.dataplaneMode === "ambient") {
            allows.push(podNetworkPolicy(`${name}-${ns}-allow-kubelet-probes`, { name: "allow-kubelet-probes", namespace: ns },
                { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: ambient.kubeletProbeCidr } }] }] },
                enforcement, { parent: this, dependsOn: [namespace] }));
        }
        // The denies wait for the allows of the namespace when they enforce (see `enforcingAllows`).
        const afterAllows = (first: pulumi.Resource[]) => (mode === "enforce" ? enforcingAllows.apply((services) => [...first, ...allows, ...services]) : first);
        podNetworkPolicy(`${name}-${ns}-default-deny`, { name: "default-deny", namespace: ns }, { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
            enforcement, { parent: this, dependsOn: afterAllows([namespace]) });
        // An ALLOW policy without rules matches nothing: the namespace admits no request until a
        // MeshService adds an ALLOW for its declared callers.
        authorizationPolicy(`${name}-${ns}-allow-nothing`, { name: "allow-nothing", namespace: ns }, {}, mode, {
            parent: this, dependsOn: afterAllows([namespace, ...args.istio.ready]),
        });
        if (mode !== (args.istio.enforcement ?? "enforce")) {
            // A namespace-wide PeerAuthentication overrides the mesh-wide one (Istio's precedence: workload, namespace, root namespace).
            new k8s.apiextensions.CustomResource(`${name}-${ns}-mtls`, {
                apiVersion: "security.istio.io/v1",
                kind: "PeerAuthentication",
                metadata: { name: "default", namespace: ns },
                spec: { mtls: { mode: mtlsMode(mode) } },
            }, { parent: this, dependsOn: [namespace, ...args.istio.ready] });
        }
        return namespace;
    }
}
