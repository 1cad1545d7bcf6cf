import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { ChartSource, installChart, present, retainCrds } from "../charts";
import { Problems } from "../problems";
import { chartRepositories, versions } from "../versions";
import { CalicoPolicyApi, calicoPolicyApis } from "./policyApi";

export type IpPoolEncapsulation = "VXLANCrossSubnet" | "VXLAN" | "IPIPCrossSubnet" | "IPIP" | "None";
const encapsulations: readonly IpPoolEncapsulation[] = ["VXLANCrossSubnet", "VXLAN", "IPIPCrossSubnet", "IPIP", "None"];

/** One Calico IP pool, as the operator's `Installation.spec.calicoNetwork.ipPools` takes it. */
export interface IpPool {
    /** Pod CIDR, e.g. `192.168.0.0/16`. Must not overlap node or Service CIDRs. */
    cidr: string;
    /** Default: `VXLANCrossSubnet` (encapsulate only between subnets). */
    encapsulation?: IpPoolEncapsulation;
    /** SNAT traffic leaving the pool. Default: true. */
    natOutgoing?: boolean;
    /** Per-node block size. Default: 26 for IPv4, 122 for IPv6. */
    blockSize?: number;
}

export interface CalicoArgs {
    /**
     * Install Calico with the Tigera operator. Set false where the cluster already runs Calico
     * (e.g. `minikube start --cni calico`): installing the operator over a manifest install
     * breaks the cluster network. Default: true.
     */
    install?: boolean;
    /** Calico version of both charts. Default: `versions.calico`. */
    version?: string;
    /** Chart sources, for mirrors and air-gapped clusters. Default: the upstream repository. */
    charts?: { crds?: ChartSource; operator?: ChartSource };
    /** IP pools of the `Installation`. Default: one pool `192.168.0.0/16`, VXLANCrossSubnet. */
    ipPools?: IpPool[];
    /** `Installation.spec.kubernetesProvider` (EKS, GKE, AKS, OpenShift, ...). Default: detected by the operator. */
    kubernetesProvider?: string;
    /**
     * API group for Calico policy objects. Default: `projectcalico.org/v3` when ztmesh installs
     * Calico (the `APIServer` serves it), `crd.projectcalico.org/v1` when `install` is false
     * (manifest installs serve only the storage CRDs).
     */
    policyApi?: CalicoPolicyApi;
}

const defaultIpPools: IpPool[] = [{ cidr: "192.168.0.0/16" }];

/** The policy API a cluster serves, from how Calico got there. */
export function defaultPolicyApi(install: boolean): CalicoPolicyApi {
    return install ? "projectcalico.org/v3" : "crd.projectcalico.org/v1";
}

/** `Installation.spec.kubernetesProvider` values the operator's CRD admits (its empty value, auto-detection, is the field left out). */
export const kubernetesProviders = ["EKS", "GKE", "AKS", "OpenShift", "DockerEnterprise", "RKE2", "TKG", "Kind"] as const;

/**
 * Per-node block sizes Calico's IPAM accepts (its IPPool validation; the CRD alone admits 0–128):
 * a block is a prefix of the pool, from /20 to /32 for IPv4 and /116 to /128 for IPv6.
 */
const blockSizeRange = { ipv4: [20, 32], ipv6: [116, 128] } as const;

/** The oldest Calico ztmesh installs: its CRDs come from the `crd.projectcalico.org.v1` chart, first released with v3.32. */
const oldestCalico = [3, 32] as const;

function checkIpPools(problems: Problems, pools: readonly IpPool[]): void {
    const parsed: { index: number; range: [ipaddr.IPv4 | ipaddr.IPv6, number] }[] = [];
    pools.forEach((pool, index) => {
        const field = `ipPools[${index}]`;
        if (pool.encapsulation !== undefined && !encapsulations.includes(pool.encapsulation)) {
            problems.add(`${field}.encapsulation`, `"${pool.encapsulation}" is not an encapsulation`, `use one of ${encapsulations.join(", ")}`);
        }
        if (!ipaddr.isValidCIDR(pool.cidr)) {
            problems.add(`${field}.cidr`, `"${pool.cidr}" is not a CIDR`, "write the pod range with its mask, e.g. \"192.168.0.0/16\"");
            return;
        }
        const [address, prefix] = ipaddr.parseCIDR(pool.cidr);
        const kind = address.kind();
        const network = (kind === "ipv4" ? ipaddr.IPv4 : ipaddr.IPv6).networkAddressFromCIDR(pool.cidr);
        if (network.toString() !== address.toString()) {
            problems.add(`${field}.cidr`, `"${pool.cidr}" has host bits set`, `write the range from its first address: "${network.toString()}/${prefix}"`);
        }
        if (kind === "ipv6" && pool.encapsulation?.startsWith("IPIP")) {
            problems.add(`${field}.encapsulation`, "IP-in-IP does not carry IPv6", "use VXLAN, VXLANCrossSubnet or None for an IPv6 pool");
        }
        if (pool.blockSize !== undefined) {
            const [min, max] = blockSizeRange[kind];
            if (!Number.isInteger(pool.blockSize) || pool.blockSize < min || pool.blockSize > max) {
                problems.add(`${field}.blockSize`, `${pool.blockSize} is not a block size for an ${kind === "ipv4" ? "IPv4" : "IPv6"} pool`, `use a prefix length from ${min} to ${max} (default ${kind === "ipv4" ? 26 : 122})`);
            } else if (pool.blockSize < prefix) {
                problems.add(`${field}.blockSize`, `a /${pool.blockSize} block is larger than the /${prefix} pool`, `use a block size of at least ${prefix}, or a larger pool`);
            }
        }
        const overlapping = parsed.find(({ range: [other, otherPrefix] }) => other.kind() === kind
            && (address.match(other, otherPrefix) || other.match(address, prefix)));
        if (overlapping) {
            problems.add(`${field}.cidr`, `"${pool.cidr}" overlaps ipPools[${overlapping.index}] ("${pools[overlapping.index].cidr}")`, "give each pool a range of its own");
        }
        parsed.push({ index, range: [address, prefix] });
    });
}

function checkVersion(problems: Problems, field: string, version: string): void {
    const match = /^v(\d+)\.(\d+)\.(\d+)$/.exec(version);
    if (!match) {
        problems.add(field, `"${version}" is not a Calico release`, `write an exact release as its chart names it, e.g. "${versions.calico}" (a range would change the install between two runs)`);
    } else if (Number(match[1]) < oldestCalico[0] || (Number(match[1]) === oldestCalico[0] && Number(match[2]) < oldestCalico[1])) {
        problems.add(field, `Calico ${version} is older than v${oldestCalico.join(".")}, whose CRD chart ztmesh installs`, `use v${oldestCalico.join(".")}.0 or later (default ${versions.calico})`);
    }
}

export function validateCalicoArgs(args: CalicoArgs): Problems {
    const problems = new Problems();
    checkIpPools(problems, args.ipPools ?? []);
    if (args.policyApi !== undefined && !calicoPolicyApis.includes(args.policyApi)) {
        problems.add("policyApi", `"${args.policyApi}" is not a Calico policy API`, `use one of ${calicoPolicyApis.join(", ")}`);
    }
    if (args.version !== undefined) {
        checkVersion(problems, "version", args.version);
    }
    for (const chart of ["crds", "operator"] as const) {
        const version = args.charts?.[chart]?.version;
        if (version !== undefined) {
            checkVersion(problems, `charts.${chart}.version`, version);
        }
    }
    if (args.kubernetesProvider !== undefined && !(kubernetesProviders as readonly string[]).includes(args.kubernetesProvider)) {
        problems.add("kubernetesProvider", `"${args.kubernetesProvider}" is not a provider the Tigera operator knows`, `use one of ${kubernetesProviders.join(", ")}, or leave it out and the operator detects it`);
    }
    return problems;
}

function installationSpec(args: CalicoArgs): Record<string, unknown> {
    const ipPools = (args.ipPools ?? defaultIpPools).map((pool) => {
        const ipv6 = pool.cidr.includes(":");
        return {
            name: `default-${ipv6 ? "ipv6" : "ipv4"}-ippool-${pool.cidr.replace(/[./:]+/g, "-")}`,
            cidr: pool.cidr,
            encapsulation: pool.encapsulation ?? "VXLANCrossSubnet",
            natOutgoing: pool.natOutgoing === false ? "Disabled" : "Enabled",
            blockSize: pool.blockSize ?? (ipv6 ? 122 : 26),
            nodeSelector: "all()",
        };
    });
    return {
        ...(args.kubernetesProvider ? { kubernetesProvider: args.kubernetesProvider } : {}),
        calicoNetwork: { ipPools },
    };
}

/**
 * Calico as the cluster's CNI and policy engine. With `install` (the default): the CRD chart,
 * then the `tigera-operator` chart, then the operator's `Installation` and `APIServer`, so the
 * `projectcalico.org/v3` API is served. With `install: false`: nothing is installed, and the
 * component only records which API the existing Calico serves for policy.
 */
export class Calico extends pulumi.ComponentResource {
    /** The API group ZeroTrustBaseline writes Calico policy to. */
    public readonly policyApi: CalicoPolicyApi;
    /** Resources Calico policy objects must wait for (the CRDs and API server); empty when not installed. */
    public readonly ready: pulumi.Resource[];
    /** The operator namespace, when installed. */
    public readonly operatorNamespace?: pulumi.Output<string>;

    constructor(name: string, args: CalicoArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("ztmesh:index:Calico", name, {}, opts);
        validateCalicoArgs(args).throwIfAny(`Calico "${name}"`, this);

        const install = args.install ?? true;
        this.policyApi = args.policyApi ?? defaultPolicyApi(install);
        this.ready = [];

        if (install) {
            const version = args.version ?? versions.calico;
            const namespace = new k8s.core.v1.Namespace(`${name}-tigera-operator`, {
                metadata: { name: "tigera-operator", labels: { "pod-security.kubernetes.io/enforce": "privileged" } },
            }, { parent: this });
            // Calico ≥ 3.32 ships its CRDs as a chart of their own, which must land before the operator.
            const crds = installChart(`${name}-crds`, { chart: "crd.projectcalico.org.v1", repository: chartRepositories.calico, version }, args.charts?.crds, {
                namespace: namespace.metadata.name,
            }, { parent: this, transforms: [retainCrds] });
            const operator = installChart(`${name}-tigera-operator`, { chart: "tigera-operator", repository: chartRepositories.calico, version }, args.charts?.operator, {
                namespace: namespace.metadata.name,
                // The Installation and APIServer are declared below as objects of their own, so
                // they are typed, visible to policy, and changed without a chart upgrade.
                values: { installation: { enabled: false }, apiServer: { enabled: false } },
            }, { parent: this, dependsOn: present(crds), transforms: [retainCrds] });
            const installation = new k8s.apiextensions.CustomResource(`${name}-installation`, {
                apiVersion: "operator.tigera.io/v1",
                kind: "Installation",
                metadata: { name: "default" },
                spec: installationSpec(args),
            }, { parent: this, dependsOn: present(operator) });
            const apiServer = new k8s.apiextensions.CustomResource(`${name}-apiserver`, {
                apiVersion: "operator.tigera.io/v1",
                kind: "APIServer",
                metadata: { name: "default" },
                spec: {},
            }, { parent: this, dependsOn: [installation] });
            this.ready.push(...present(crds, operator), installation, apiServer);
            this.operatorNamespace = namespace.metadata.name;
        }

        this.registerOutputs({ policyApi: this.policyApi, operatorNamespace: this.operatorNamespace });
    }
}
