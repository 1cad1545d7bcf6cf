import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { ChartSource, installChart, present, retainCrds } from "../charts";
import { checkTrustDomain, defaultTrustDomain } from "../identity";
import { Problems, checkDns1123Label } from "../problems";
import { chartRepositories, versions } from "../versions";
import { injectionLabel, istioNamespace, revisionLabel } from "../../common/wellKnown";
import { DataplaneMode, ambientChartValues, ambientNamespaceLabels, dataplaneModes } from "./dataplane";
import { EnforcementMode, ambientHonoursDryRun, checkEnforcement, mtlsMode, oldestAmbientAudit, releaseAtLeast } from "../enforcement";

export type IngressMode = "gateway-api" | "classic";
const ingressModes: readonly IngressMode[] = ["gateway-api", "classic"];

export interface IstioArgs {
    /** Istio version of every chart. Default: `versions.istio`. */
    version?: string;
    /** Chart sources, for mirrors and air-gapped clusters. Default: the upstream repository. */
    charts?: { base?: ChartSource; istiod?: ChartSource; cni?: ChartSource; ztunnel?: ChartSource; gateway?: ChartSource };
    /** `global.platform`, e.g. `minikube`, `k3d`, `gke`. Default: none. */
    platform?: string;
    /** Control-plane revision for canary upgrades; namespaces then select it with `istio.io/rev`. Default: none. */
    revision?: string;
    /** Install the Istio CNI node agent so pods need no NET_ADMIN init container. Default: false (true in ambient mode, which needs it). */
    cni?: boolean;
    /**
     * `sidecar` (default): istiod injects an Envoy sidecar into every pod of a labelled namespace.
     * `ambient`: no sidecars; also installs the `cni` and `ztunnel` charts (Istio's `ambient`
     * profile), and namespaces join the mesh with `istio.io/dataplane-mode: ambient`.
     */
    dataplaneMode?: DataplaneMode;
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
    /**
     * The mesh-wide mTLS mode: `enforce` (default) STRICT; `audit` PERMISSIVE, so plain-text
     * callers keep working while the audit finds them (see `mtlsMode`). App namespaces of
     * another mode get a PeerAuthentication of their own from ZeroTrustBaseline.
     */
    enforcement?: EnforcementMode;
}

/** The `global.platform` values the Istio charts know (a profile file each); any other fails the chart render. */
export const istioPlatforms = ["gke", "k3d", "k3s", "microk8s", "minikube", "openshift"] as const;

/** Where the sidecar keeps its own configuration and credentials: access logs must not be written there. */
const proxyStateDirectories = ["/etc/istio", "/var/run/secrets", "/var/lib/istio"];

function checkAccessLogFile(problems: Problems, file: string): void {
    // An empty value is Istio's own way to turn access logs off.
    if (file === "") {
        return;
    }
    const fix = "use /dev/stdout (the default), /dev/stderr, another absolute file path, or \"\" to turn access logs off";
    if (!path.posix.isAbsolute(file) || path.posix.normalize(file) !== file || /[\u0000-\u001f\u007f]/.test(file)) {
        problems.add("accessLogFile", `"${file}" is not an absolute, normalised file path`, fix);
    } else if (proxyStateDirectories.some((directory) => file === directory || file.startsWith(`${directory}/`))) {
        problems.add("accessLogFile", `"${file}" is inside the proxy's own configuration and credentials`, fix);
    }
}

export function validateIstioArgs(args: IstioArgs): Problems {
    const problems = new Problems();
    checkEnforcement(problems, "enforcement", args.enforcement);
    const ztunnelVersion = args.charts?.ztunnel?.version ?? args.version ?? versions.istio;
    if (args.dataplaneMode === "ambient" && pilotEnvOn(args.istiodValues, ambientDryRunEnv) && !releaseAtLeast(ztunnelVersion, oldestDryRunZtunnel)) {
        problems.add(`istiodValues.pilot.env.${ambientDryRunEnv}`, `istiod would send dry-run AuthorizationPolicies to ztunnel ${ztunnelVersion}, which enforces them instead of logging them`,
            `leave it unset (istiod's default, false), or run ztunnel ${oldestDryRunZtunnel} or later`);
    }
    if (args.enforcement === "audit" && args.dataplaneMode === "ambient" && !ambientHonoursDryRun(args.version ?? versions.istio)) {
        problems.add("enforcement", `audit mode needs Istio ${oldestAmbientAudit} or later in ambient mode: istiod ${args.version} hands dry-run AuthorizationPolicies to ztunnel, which enforces them`,
            `use Istio ${oldestAmbientAudit} or later (default ${versions.istio}), or enforce`);
    }
    if (args.version !== undefined && !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(args.version)) {
        problems.add("version", `"${args.version}" is not an Istio release`, `write an exact release, e.g. "${versions.istio}" (a range would change the install between two runs)`);
    }
    if (args.revision !== undefined) {
        checkDns1123Label(problems, "revision", args.revision);
    }
    if (args.platform !== undefined && !(istioPlatforms as readonly string[]).includes(args.platform)) {
        problems.add("platform", `"${args.platform}" is not a platform the Istio charts know`, `use one of ${istioPlatforms.join(", ")}, or leave it out`);
    }
    if (args.ingressNamespace !== undefined) {
        checkDns1123Label(problems, "ingressNamespace", args.ingressNamespace);
    }
    if (args.accessLogFile !== undefined) {
        checkAccessLogFile(problems, args.accessLogFile);
    }
    if (args.ingressMode !== undefined && !ingressModes.includes(args.ingressMode)) {
        problems.add("ingressMode", `"${args.ingressMode}" is not an ingress mode`, `use one of ${ingressModes.join(", ")}`);
    }
    if (args.dataplaneMode !== undefined && !dataplaneModes.includes(args.dataplaneMode)) {
        problems.add("dataplaneMode", `"${args.dataplaneMode}" is not a data plane mode`, `use one of ${dataplaneModes.join(", ")}`);
    }
    if (args.dataplaneMode === "ambient" && args.cni === false) {
        problems.add("cni", "ambient mode needs the Istio CNI node agent, but cni is false", "drop cni: false (ambient installs the cni chart), or use dataplaneMode sidecar");
    }
    if (args.trustDomain !== undefined) {
        checkTrustDomain(problems, "trustDomain", args.trustDomain);
    }
    if (args.istiodReplicas !== undefined && (!Number.isInteger(args.istiodReplicas) || args.istiodReplicas < 1)) {
        problems.add("istiodReplicas", `${args.istiodReplicas} is not a replica count`, "use a whole number of at least 1 (2 or more for HA)");
    }
    if (args.dataplaneMode === "ambient" && pilotEnvOn(args.istiodValues, layeredWaypointPoliciesEnv)) {
        problems.add(
            `istiodValues.pilot.env.${layeredWaypointPoliciesEnv}`,
            "istiod would also enforce each namespace's selector-less policies at its waypoints' HBONE entry, where ztmesh's allow-nothing then refuses every caller of every service behind a waypoint",
            "leave it unset (istiod's default, false): ztmesh's waypoint policies attach by targetRefs, which is how Istio enforces them by default",
        );
    }
    return problems;
}

/** istiod's switch for "layered" waypoint authorization (Istio 1.30 `pilot/pkg/features/ambient.go`); off by default. */
const layeredWaypointPoliciesEnv = "ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES";

/**
 * istiod's switch that sends dry-run AuthorizationPolicies to ztunnel (Istio 1.30
 * `pilot/pkg/features/ambient.go`); off by default. A ztunnel older than 1.29 enforces them.
 */
const ambientDryRunEnv = "AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY";

/** Whether the istiod values turn the switch `name` on, read as istiod reads an environment variable (Go's `strconv.ParseBool`). */
function pilotEnvOn(values: Record<string, unknown> | undefined, name: string): boolean {
    const env = ((values?.pilot as { env?: Record<string, unknown> } | undefined)?.env) ?? {};
    return ["1", "t", "true"].includes(String(env[name] ?? "false").toLowerCase());
}

/** The oldest ztunnel that logs a dry-run policy rather than enforcing it (istio/ztunnel#1659). */
const oldestDryRunZtunnel = "1.29";

/** The namespace labels that make istiod inject sidecars into a namespace's pods. */
export function injectionLabels(revision?: string): Record<string, string> {
    return revision ? { [revisionLabel]: revision } : { [injectionLabel]: "enabled" };
}

/** What the mesh an `Istio` made of `args` is, for the components that join it. */
export interface IstioMesh {
    revision?: string;
    trustDomain: string;
    dataplaneMode: DataplaneMode;
    ingressMode: IngressMode;
    /** Labels a namespace needs to join the mesh: sidecar injection, or ambient enrolment. */
    injectionLabels: Record<string, string>;
}

/**
 * The mesh of an `Istio` made of `args`, computed without creating it: the stack validates
 * the components that join the mesh against it before any resource exists, and the component
 * takes its own fields from it.
 */
export function istioMesh(args: IstioArgs): IstioMesh {
    const dataplaneMode = args.dataplaneMode ?? "sidecar";
    return {
        revision: args.revision,
        trustDomain: args.trustDomain ?? defaultTrustDomain,
        dataplaneMode,
        ingressMode: args.ingressMode ?? "gateway-api",
        injectionLabels: dataplaneMode === "ambient" ? ambientNamespaceLabels(args.revision) : injectionLabels(args.revision),
    };
}

/** istiod chart values: ztmesh's zero-trust settings over the user's extras. */
export function istiodValues(args: IstioArgs): Record<string, unknown> {
    const replicas = args.istiodReplicas ?? 1;
    const extra = args.istiodValues ?? {};
    const extraGlobal = (extra.global ?? {}) as Record<string, unknown>;
    const extraMesh = (extra.meshConfig ?? {}) as Record<string, unknown>;
    const extraPilot = (extra.pilot ?? {}) as Record<string, unknown>;
    return {
        ...extra,
        revision: args.revision ?? "",
        replicaCount: replicas,
        autoscaleMin: replicas,
        // Merged, not replaced: the user's other pilot values (its env, resources) stay.
        ...(args.cni || args.dataplaneMode === "ambient" ? { pilot: { ...extraPilot, cni: { enabled: true } } } : {}),
        ...(args.dataplaneMode === "ambient" ? { profile: "ambient" } : {}),
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
 * Istio installed with Helm, strictly ordered `base` → `istiod` (→ `cni`; in ambient mode
 * `cni` → `ztunnel`), and in classic
 * ingress mode the `gateway` chart. Sets mesh-wide STRICT mTLS (PERMISSIVE in audit mode) with
 * a `PeerAuthentication` in the root namespace. CRDs from the `base` chart are retained if the chart is deleted.
 */
export class Istio extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly revision?: string;
    public readonly trustDomain: string;
    /** Labels a namespace needs to join the mesh of this control plane: sidecar injection, or ambient enrolment. */
    public readonly injectionLabels: Record<string, string>;
    public readonly dataplaneMode: DataplaneMode;
    public readonly ingressMode: IngressMode;
    /** The mode of the mesh-wide mTLS (STRICT when enforced, PERMISSIVE in audit). */
    public readonly enforcement: EnforcementMode;
    /** The charts; each is undefined when its source says `install: false`. */
    public readonly base?: k8s.helm.v4.Chart;
    public readonly istiod?: k8s.helm.v4.Chart;
    public readonly cni?: k8s.helm.v4.Chart;
    /** The ztunnel node proxy (ambient mode only). */
    public readonly ztunnel?: k8s.helm.v4.Chart;
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
        const mesh = istioMesh(args);
        this.revision = mesh.revision;
        this.trustDomain = mesh.trustDomain;
        this.dataplaneMode = mesh.dataplaneMode;
        const ambientMode = this.dataplaneMode === "ambient";
        this.injectionLabels = mesh.injectionLabels;
        this.ingressMode = mesh.ingressMode;
        this.enforcement = args.enforcement ?? "enforce";

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

        if (args.cni || ambientMode) {
            this.cni = installChart(`${name}-cni`, pinned("cni"), args.charts?.cni, {
                namespace: this.namespace,
                values: ambientMode ? ambientChartValues(args.platform) : { global: { ...(args.platform ? { platform: args.platform } : {}) } },
            }, { parent: this, dependsOn: present(this.istiod) });
            this.ready.push(...present(this.cni));
        }
        if (ambientMode) {
            // ztunnel after the CNI agent: the agent hands each ambient pod's network namespace to ztunnel.
            this.ztunnel = installChart(`${name}-ztunnel`, pinned("ztunnel"), args.charts?.ztunnel, {
                namespace: this.namespace,
                values: { ...ambientChartValues(args.platform), ...(args.revision ? { revision: args.revision } : {}) },
            }, { parent: this, dependsOn: present(this.istiod, this.cni) });
            this.ready.push(...present(this.ztunnel));
        }

        if (this.ingressMode === "classic") {
            const ingressNamespace = new k8s.core.v1.Namespace(`${name}-ingress`, {
                // The gateway chart's pods get their proxy by injection (template `gateway`), in ambient mode too.
                metadata: { name: args.ingressNamespace ?? "istio-ingress", labels: injectionLabels(args.revision) },
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
            spec: { mtls: { mode: mtlsMode(this.enforcement) } },
        }, { parent: this, dependsOn: this.ready });

        this.registerOutputs({
            namespace: this.namespace,
            injectionLabels: this.injectionLabels,
            dataplaneMode: this.dataplaneMode,
            ingressNamespace: this.ingressNamespace,
        });
    }
}
