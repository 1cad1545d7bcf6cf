import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartSource, installChart, present, retainCrds } from "../charts";
import { defaultTrustDomain } from "../identity";
import { Problems, checkDns1123Label } from "../problems";
import { chartRepositories, versions } from "../versions";
import { injectionLabel, istioNamespace, revisionLabel } from "../wellKnown";

export type IngressMode = "gateway-api" | "classic";
const ingressModes: readonly IngressMode[] = ["gateway-api", "classic"];

export interface IstioArgs {
    /** Istio version of every chart. Default: `versions.istio`. */
    version?: string;
    /** Chart sources, for mirrors and air-gapped clusters. Default: the upstream repository. */
    charts?: { base?: ChartSource; istiod?: ChartSource; cni?: ChartSource; gateway?: ChartSource };
    /** `global.platform`, e.g. `minikube`, `k3d`, `gke`. Default: none. */
    platform?: string;
    /** Control-plane revision for canary upgrades; namespaces then select it with `istio.io/rev`. Default: none. */
    revision?: string;
    /** Install the Istio CNI node agent so pods need no NET_ADMIN init container. Default: false. */
    cni?: boolean;
    /**
     * `gateway-api` (default): istiod deploys a gateway for each Gateway API `Gateway`.
     * `classic`: also install the `gateway` chart in `ingressNamespace`, for Istio `Gateway` +
     * `VirtualService` ingress.
     */
    ingressMode?: IngressMode;
    /** Namespace of the classic ingress gateway. Default: `istio-ingress`. */
    ingressNamespace?: string;
    /** istiod replicas; above 1 also sets the autoscaler minimum so HA survives scale-down. Default: 1. */
    istiodReplicas?: number;
    /** Merge application metrics into the sidecar's Prometheus endpoint (15020). Default: true. */
    monitoring?: boolean;
    /** Mesh trust domain, the first part of every SPIFFE principal. Default: `cluster.local`. */
    trustDomain?: string;
    /** Envoy access log destination; empty string disables access logs. Default: `/dev/stdout`. */
    accessLogFile?: string;
    /** Extra istiod chart values, merged over ztmesh's (ztmesh's security settings win). Default: none. */
    istiodValues?: Record<string, unknown>;
}

export function validateIstioArgs(args: IstioArgs): Problems {
    const problems = new Problems();
    if (args.revision !== undefined) {
        checkDns1123Label(problems, "revision", args.revision);
    }
    if (args.ingressMode !== undefined && !ingressModes.includes(args.ingressMode)) {
        problems.add("ingressMode", `"${args.ingressMode}" is not an ingress mode`, `use one of ${ingressModes.join(", ")}`);
    }
    if (args.istiodReplicas !== undefined && (!Number.isInteger(args.istiodReplicas) || args.istiodReplicas < 1)) {
        problems.add("istiodReplicas", `${args.istiodReplicas} is not a replica count`, "use a whole number of at least 1 (2 or more for HA)");
    }
    return problems;
}

/** The namespace labels that make istiod inject sidecars into a namespace's pods. */
export function injectionLabels(revision?: string): Record<string, string> {
    return revision ? { [revisionLabel]: revision } : { [injectionLabel]: "enabled" };
}

/** istiod chart values: ztmesh's zero-trust settings over the user's extras. */
export function istiodValues(args: IstioArgs): Record<string, unknown> {
    const replicas = args.istiodReplicas ?? 1;
    const extra = args.istiodValues ?? {};
    const extraGlobal = (extra.global ?? {}) as Record<string, unknown>;
    const extraMesh = (extra.meshConfig ?? {}) as Record<string, unknown>;
    return {
        ...extra,
        revision: args.revision ?? "",
        replicaCount: replicas,
        autoscaleMin: replicas,
        ...(args.cni ? { pilot: { cni: { enabled: true } } } : {}),
        global: {
            ...extraGlobal,
            ...(args.platform ? { platform: args.platform } : {}),
            // Istio's own NetworkPolicies for istiod: the control plane is exempt from the
            // cluster default-deny, so it gets narrow policies of its own.
            networkPolicy: { enabled: true },
        },
        meshConfig: {
            ...extraMesh,
            trustDomain: args.trustDomain ?? defaultTrustDomain,
            // Zero trust also outbound: only hosts in the service registry (or a ServiceEntry).
            outboundTrafficPolicy: { mode: "REGISTRY_ONLY" },
            accessLogFile: args.accessLogFile ?? "/dev/stdout",
            enablePrometheusMerge: args.monitoring ?? true,
        },
    };
}

/**
 * Istio installed with Helm, strictly ordered `base` → `istiod` (→ `cni`), and in classic
 * ingress mode the `gateway` chart. Sets mesh-wide STRICT mTLS with a `PeerAuthentication`
 * in the root namespace. CRDs from the `base` chart are retained if the chart is deleted.
 */
export class Istio extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly revision?: string;
    public readonly trustDomain: string;
    /** Labels a namespace needs for sidecar injection by this control plane. */
    public readonly injectionLabels: Record<string, string>;
    public readonly ingressMode: IngressMode;
    /** The charts; each is undefined when its source says `install: false`. */
    public readonly base?: k8s.helm.v4.Chart;
    public readonly istiod?: k8s.helm.v4.Chart;
    public readonly cni?: k8s.helm.v4.Chart;
    /** The classic ingress gateway chart (ingressMode `classic` only). */
    public readonly gateway?: k8s.helm.v4.Chart;
    public readonly ingressNamespace?: pulumi.Output<string>;
    public readonly peerAuthentication: k8s.apiextensions.CustomResource;
    /** What mesh configuration must wait for: Istio's CRDs and its validating webhook. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: IstioArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("ztmesh:index:Istio", name, {}, opts);
        validateIstioArgs(args).throwIfAny(`Istio "${name}"`, this);

        const version = args.version ?? versions.istio;
        const pinned = (chart: string) => ({ chart, repository: chartRepositories.istio, version });
        this.revision = args.revision;
        this.trustDomain = args.trustDomain ?? defaultTrustDomain;
        this.injectionLabels = injectionLabels(args.revision);
        this.ingressMode = args.ingressMode ?? "gateway-api";

        const namespace = new k8s.core.v1.Namespace(`${name}-system`, {
            metadata: { name: istioNamespace },
        }, { parent: this });
        this.namespace = namespace.metadata.name;

        this.base = installChart(`${name}-base`, pinned("base"), args.charts?.base, {
            namespace: this.namespace,
            values: { defaultRevision: args.revision ?? "default" },
        }, { parent: this, transforms: [retainCrds] });

        this.istiod = installChart(`${name}-istiod`, pinned("istiod"), args.charts?.istiod, {
            namespace: this.namespace,
            values: istiodValues(args),
        }, { parent: this, dependsOn: present(this.base) });
        this.ready = present(this.base, this.istiod);

        if (args.cni) {
            this.cni = installChart(`${name}-cni`, pinned("cni"), args.charts?.cni, {
                namespace: this.namespace,
                values: { global: { ...(args.platform ? { platform: args.platform } : {}) } },
            }, { parent: this, dependsOn: present(this.istiod) });
            this.ready.push(...present(this.cni));
        }

        if (this.ingressMode === "classic") {
            const ingressNamespace = new k8s.core.v1.Namespace(`${name}-ingress`, {
                metadata: { name: args.ingressNamespace ?? "istio-ingress", labels: this.injectionLabels },
            }, { parent: this });
            this.ingressNamespace = ingressNamespace.metadata.name;
            // The release name fixes the gateway's pod label `istio: ingressgateway`, which the
            // classic Istio Gateway selects.
            this.gateway = installChart(`${name}-gateway`, pinned("gateway"), args.charts?.gateway, {
                name: "istio-ingressgateway",
                namespace: this.ingressNamespace,
                values: { ...(args.revision ? { revision: args.revision } : {}), global: { networkPolicy: { enabled: true } } },
            }, { parent: this, dependsOn: present(this.istiod) });
        }

        this.peerAuthentication = new k8s.apiextensions.CustomResource(`${name}-mesh-mtls`, {
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "default", namespace: this.namespace },
            spec: { mtls: { mode: "STRICT" } },
        }, { parent: this, dependsOn: this.ready });

        this.registerOutputs({
            namespace: this.namespace,
            injectionLabels: this.injectionLabels,
            ingressNamespace: this.ingressNamespace,
        });
    }
}
