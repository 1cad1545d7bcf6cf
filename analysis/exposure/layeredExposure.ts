/**
 * Exposure when Calico, ClusterNetworkPolicy or Istio policy takes part: which workloads are
 * open to the whole cluster, to whole namespaces, or to External.
 *
 * netpol-analyzer reads a workload's own NetworkPolicy rules as written (exposure.ts). That does
 * not carry over: a Calico rule's verdict depends on the tiers, Pass and Deny rules and
 * profiles around it, and an Istio rule's on the caller's identity, which a rule's text alone
 * does not settle. So every layer is asked instead, with probes: workloads that the input does
 * not hold and that no selector or principal names, added to the input and run through the
 * same reachability (reach.ts) as the listing:
 *
 *   - `entire-cluster`: a pod without labels, in a namespace of its own without labels, running
 *     as a service account no rule names, without an Istio proxy. What it gets, any pod of the
 *     cluster gets unless a selector singles it out: Calico `all()` selectors and namespace
 *     selectors, global() network sets, GlobalNetworkPolicies and tiers, profiles, Istio ALLOW
 *     rules without `from`.
 *   - `entire-mesh` (no netpol-analyzer counterpart; Istio input only): the same pod with an
 *     Istio proxy (sidecar; ambient where the input runs ambient), reported where it gets more
 *     or less than `entire-cluster`: e.g. an ALLOW rule with `principals: ["*"]` or
 *     `namespaces: ["*"]` (istio.io/latest/docs/reference/config/security/authorization-policy/:
 *     both require mutual TLS, so a caller without a proxy never matches them).
 *   - `NS/[all pods]` (netpol-analyzer's spelling of a namespace's pods), for each namespace of
 *     the input and each a rule names: a pod without labels in NS, with a proxy where NS injects
 *     one (or an Istio source names NS), running as a service account no rule names; reported
 *     where it gets something other than the cluster- (or mesh-) wide probe, e.g. through a
 *     Calico `namespaceSelector` or an Istio `namespaces`.
 *   - a pod each rule peer describes (representatives.ts), in netpol-analyzer's spelling
 *     (`[all namespaces]/[pod with {k8s-app=kube-dns}]`; a Calico selector as Calico reads it,
 *     `pod with {app == "monitor"}`; an Istio principal as `NS/[service account SA]`), unless a
 *     workload of the input is that pod; reported where it differs from its namespace's probe
 *     (or, in a namespace of its own, the cluster- or mesh-wide one). A Calico Deny on a
 *     namespace reads `quarantine/[all pods] : No Connections` under an open cluster.
 *   - External: the workload's flows with External ranges, from the listing, as on
 *     Kubernetes-only input.
 *
 * Two differences from netpol-analyzer's reading, both deliberate: the probe's own side counts
 * too (a GlobalNetworkPolicy selecting `all()` governs any new pod's egress, so an ingress no
 * pod can use is no exposure); and a pod singled out by labels may get more (a rule naming its
 * labels: the listing shows it where the input has such a pod) or less (a Deny naming them)
 * than its namespace's probe. There is no "not protected" block: whether an open side is left
 * open by no policy or by a policy allowing everything, it reads `entire-cluster : All Connections`.
 * Ports are those of layer 3/4 on which a proxy admits some request; `reach --l7` tells which.
 */
import { ConnectionSet } from "../netpol/ports";
import { Labels } from "../calicoSelector";
import { namesWorkload, parseFocusDirection } from "../formats/focus";
import { ambient } from "../../common/wellKnown";
import { hasAmbientWorkloads } from "../istio/ambient";
import { hasIstioPolicy } from "../istio/evaluate";
import { isMeshed } from "../istio/mesh";
import { KubeObject } from "../manifests";
import { ClusterModel, clusterModel } from "../model/cluster";
import { workloadId } from "../netpol/workloads";
import { analysedObjects, reachability } from "../reach";
import { ExposureConnections } from "./exposureConnections";
import { Representative, representatives } from "./representatives";
import { ExposedWorkload, ExposureEntry, ExposureOptions, ExposureTarget, exposureTargetText, SideExposure } from "./target";

/** A probe workload: what it stands for, and whether it runs an Istio proxy. */
interface Probe {
    readonly target: ExposureTarget;
    readonly meshed: boolean;
    /** The namespace it stands in, if the peer names one: that namespace's probe is what it differs from. */
    readonly inNamespace?: string;
}

type Side = "ingress" | "egress";

/** The exposure of each workload the options focus on (all by default), in the input's workload order. */
export function layeredExposure(objects: readonly KubeObject[], options: ExposureOptions = {}): ExposedWorkload[] {
    const model = clusterModel(analysedObjects(objects));
    const probes = probesOf(objects, model);
    const flows = reachability([...objects, ...probes.objects]);
    // What each real workload allows each probe (egress) and each probe it (ingress), and its flows with External.
    const open = new Map<string, Map<Probe, ExposureConnections>>();
    const withExternal = new Set<string>();
    const record = (workload: string, side: Side, probe: Probe, allowed: ConnectionSet) => {
        const key = `${side}\n${workload}`;
        const row = open.get(key) ?? new Map<Probe, ExposureConnections>();
        row.set(probe, new ExposureConnections(allowed, new Map()));
        open.set(key, row);
    };
    for (const flow of flows) {
        const fromProbe = probes.byName.get(flow.src.name);
        const toProbe = probes.byName.get(flow.dst.name);
        if (fromProbe && !toProbe) {
            record(flow.dst.name, "ingress", fromProbe, flow.allowed);
        } else if (toProbe && !fromProbe) {
            record(flow.src.name, "egress", toProbe, flow.allowed);
        } else if (flow.src.kind === "external" || flow.dst.kind === "external") {
            withExternal.add(flow.src.kind === "external" ? `ingress\n${flow.dst.name}` : `egress\n${flow.src.name}`);
        }
    }
    const focus = options.focusworkload ?? [];
    const direction = parseFocusDirection(options.focusDirection);
    const result: ExposedWorkload[] = [];
    for (const workload of model.workloads) {
        if (focus.length > 0 && !focus.some((name) => namesWorkload(name, workload))) {
            continue;
        }
        const side = (name: Side): SideExposure | undefined => {
            if (direction !== undefined && direction !== name) {
                return undefined;
            }
            const key = `${name}\n${workloadId(workload)}`;
            const entries = sideEntries(probes, open.get(key) ?? new Map());
            return entries.length > 0 || withExternal.has(key) ? { protected: true, entries } : undefined;
        };
        const ingress = side("ingress");
        const egress = side("egress");
        if (ingress !== undefined || egress !== undefined) {
            const nothing: SideExposure = { protected: true, entries: [] };
            result.push({ workload, ingress: ingress ?? nothing, egress: egress ?? nothing });
        }
    }
    return result;
}

/**
 * A side's entries: the cluster-wide probe's connections; each other probe's where they differ
 * from those of the probe it stands beside (its namespace's, else the mesh- or cluster-wide
 * one), as netpol-analyzer drops a representative whose ports equal the whole cluster's, and
 * one with no ports when the whole cluster has none.
 */
function sideEntries(probes: ProbeSet, open: ReadonlyMap<Probe, ExposureConnections>): ExposureEntry[] {
    const connections = (probe: Probe | undefined) => (probe === undefined ? ExposureConnections.none : open.get(probe) ?? ExposureConnections.none);
    const entries: ExposureEntry[] = [];
    for (const probe of probes.all) {
        const own = connections(probe);
        const saysMore = probe === probes.cluster ? !own.isEmpty() : !own.equals(connections(probes.beside(probe))) && !(own.isEmpty() && connections(probes.beside(probe)).isEmpty());
        if (saysMore) {
            entries.push({ target: probe.target, connections: own });
        }
    }
    return entries;
}

interface ProbeSet {
    /** The Namespaces and Pods to add to the input. */
    readonly objects: readonly KubeObject[];
    /** Cluster-wide first, then mesh-wide, then the namespaces', then the representatives'. */
    readonly all: readonly Probe[];
    readonly cluster: Probe;
    readonly byName: ReadonlyMap<string, Probe>;
    /** The probe a probe's connections are compared with. */
    beside(probe: Probe): Probe;
}

/**
 * The probes of the input (see the file comment): a representative that a workload of the
 * input stands for (its namespace, labels and service account) is left out, as the listing
 * shows that workload.
 */
function probesOf(objects: readonly KubeObject[], model: ClusterModel): ProbeSet {
    const namespaces = model.cluster.namespaces;
    const ambientInput = hasAmbientWorkloads(objects);
    const istioInput = ambientInput || hasIstioPolicy(objects);
    const meshLabels: Labels = ambientInput ? { [ambient.dataplaneModeLabel]: "ambient" } : { "istio-injection": "enabled" };
    const taken = new Set(objects.map((object) => `${String(object.metadata?.namespace ?? "")}/${String(object.metadata?.name ?? "")}`));
    const freeName = (namespace: string, base: string) => {
        let name = base;
        for (let n = 2; taken.has(`${namespace}/${name}`) || (namespace === "" && namespaces.has(name)); n++) {
            name = `${base}-${n}`;
        }
        taken.add(`${namespace}/${name}`);
        return name;
    };
    const created: KubeObject[] = [];
    const all: Probe[] = [];
    const byName = new Map<string, Probe>();
    const createdNamespaces = new Map<string, string>();
    const namespaceFor = (name: string | undefined, labels: Labels, meshed: boolean): string => {
        if (name !== undefined && namespaces.has(name)) {
            return name;
        }
        const key = name ?? JSON.stringify([labels, meshed]);
        let namespace = createdNamespaces.get(key);
        if (namespace === undefined) {
            namespace = name ?? freeName("", meshed ? "ztmesh-exposure-mesh" : "ztmesh-exposure-cluster");
            created.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { ...labels, ...(meshed ? meshLabels : {}) } } });
            createdNamespaces.set(key, namespace);
        }
        return namespace;
    };
    const addProbe = (probe: Probe, namespace: string, labels: Labels, serviceAccount = "ztmesh-exposure-probe") => {
        const name = freeName(namespace, "ztmesh-exposure-probe");
        // A meshed probe in a namespace that injects no proxy asks for one itself.
        const podLabels = probe.meshed && !namespaceMeshed(namespaces.get(namespace) ?? {}) ? { ...labels, ...(ambientInput ? meshLabels : { "sidecar.istio.io/inject": "true" }) } : labels;
        created.push({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels: podLabels }, spec: { serviceAccountName: serviceAccount, containers: [{ name: "probe", image: "probe" }] } });
        all.push(probe);
        byName.set(workloadId({ namespace, name, kind: "Pod", labels: {}, containerPorts: [] }), probe);
    };
    const cluster: Probe = { target: { kind: "entire-cluster" }, meshed: false };
    addProbe(cluster, namespaceFor(undefined, {}, false), {});
    const mesh: Probe | undefined = istioInput ? { target: { kind: "entire-mesh" }, meshed: true } : undefined;
    if (mesh) {
        addProbe(mesh, namespaceFor(undefined, {}, true), {});
    }
    // Every namespace of the input, and every namespace a rule names, gets a probe of its own.
    const named = representatives(objects);
    const byNamespace = new Map<string, Probe>();
    for (const namespace of new Set([...namespaces.keys(), ...named.flatMap((representative) => (representative.namespace === undefined ? [] : [representative.namespace]))])) {
        // A namespace only rules name runs proxies if an Istio source names it (its pods are then meshed callers).
        const labels = namespaces.get(namespace);
        const meshed = istioInput && (labels !== undefined ? namespaceMeshed(labels) : named.some((representative) => representative.namespace === namespace && representative.meshed));
        const probe: Probe = { target: { kind: "selector", namespace, namespaceIsName: true, pods: "all pods" }, meshed };
        byNamespace.set(namespace, probe);
        addProbe(probe, namespaceFor(namespace, {}, probe.meshed), {});
    }
    // One probe per pod the peers describe: a Calico and a Kubernetes rule may name the same pods in their own words (the first named is kept).
    const seen = new Set([...byNamespace.keys()].map((namespace) => JSON.stringify([namespace, {}, undefined, false])).concat(all.map((probe) => exposureTargetText(probe.target))));
    for (const representative of named) {
        const meshed = representative.meshed || (representative.namespace !== undefined && istioInput && namespaceMeshed(namespaces.get(representative.namespace) ?? {}));
        const keys = [exposureTargetText(representative.target), JSON.stringify([representative.namespace ?? representative.namespaceLabels, representative.labels, representative.serviceAccount, meshed])];
        if (keys.some((key) => seen.has(key)) || standsFor(model, representative)) {
            continue;
        }
        keys.forEach((key) => seen.add(key));
        const inNamespace = representative.namespace;
        addProbe({ target: representative.target, meshed, ...(inNamespace === undefined ? {} : { inNamespace }) }, namespaceFor(representative.namespace, representative.namespaceLabels, meshed), representative.labels, representative.serviceAccount);
    }
    const beside = (probe: Probe): Probe => {
        const own = probe.inNamespace === undefined ? undefined : byNamespace.get(probe.inNamespace);
        return own ?? (probe.meshed && mesh !== undefined && probe !== mesh ? mesh : cluster);
    };
    return { objects: created, all, cluster, byName, beside };
}

/** Whether pods of a namespace with these labels run an Istio proxy (sidecar injection, or ambient). */
function namespaceMeshed(labels: Labels): boolean {
    return isMeshed(undefined, labels) || labels[ambient.dataplaneModeLabel] === "ambient";
}

/** Whether some workload of the input is in the representative's namespace (or one its namespace labels match) and has its labels and service account. */
function standsFor(model: ClusterModel, representative: Representative): boolean {
    return model.workloads.some((workload) => {
        const namespaceLabels = model.namespaceLabels(workload.namespace);
        const inNamespace = representative.namespace !== undefined
            ? workload.namespace === representative.namespace
            : Object.entries(representative.namespaceLabels).every(([key, value]) => namespaceLabels[key] === value);
        return inNamespace
            && Object.entries(representative.labels).every(([key, value]) => workload.labels[key] === value)
            && (representative.serviceAccount === undefined || model.serviceAccountOf(workload) === representative.serviceAccount);
    });
}
