/**
 * What a sidecar lets its own workload reach: Istio `Sidecar` egress `hosts` (the services a
 * workload's proxy knows), `ServiceEntry` (hosts and addresses outside the cluster added to the
 * registry) and the outbound traffic policy (MeshConfig `outboundTrafficPolicy`, or the
 * Sidecar's own). A TCP connection to a host the proxy does not know is passed through as
 * plain TCP under ALLOW_ANY — the destination then sees a caller without identity — and
 * dropped under REGISTRY_ONLY.
 *
 * The caller's Sidecar: the one in its namespace whose `workloadSelector` selects it, else the
 * namespace's Sidecar without selector, else the root namespace's. Egress hosts are
 * `namespace/dnsName` (`*`, `.` for the Sidecar's namespace, `~` for none; `*`, `*.suffix` or a
 * name). A workload port is known when a visible Service selects the workload with a port whose
 * `targetPort` is it (Services are `<name>.<namespace>.svc.cluster.local`).
 *
 * Applied only where it can be judged: to callers with a sidecar (gateways route by their own
 * configuration), when a Sidecar applies to the caller or the mode is REGISTRY_ONLY, and when the
 * manifests hold Services (without any, the registry is unknown and every destination is taken
 * to be reached through the mesh). Not evaluated: egress listener `port`/`bind`/`captureMode`,
 * `exportTo`, ServiceEntry `endpoints`, `workloadSelector` and `location`.
 */
import { KubeObject } from "../manifests";
import { IntervalSet } from "../netpol/intervals";
import { Address, addressBlocks, addressesContain, addressesEmpty, AddressSet, noAddresses } from "../netpol/ipRanges";
import { describeObject, namespaceOf, Workload } from "../netpol/workloads";
import { formatPortSet } from "./format";
import { MeshConfig, OutboundMode } from "./meshConfig";

interface Sidecar {
    readonly namespace: string;
    readonly name: string;
    readonly selector?: Readonly<Record<string, string>>;
    readonly hosts: readonly { readonly namespace: string; readonly dnsName: string }[];
    readonly mode?: OutboundMode;
}

interface Service {
    readonly namespace: string;
    readonly host: string;
    readonly selector: Readonly<Record<string, string>>;
    readonly targetPorts: readonly (number | string)[];
}

interface ServiceEntry {
    readonly namespace: string;
    readonly name: string;
    readonly hosts: readonly string[];
    /** Empty when the entry names hosts only. */
    readonly addresses: AddressSet;
    readonly ports: IntervalSet;
}

/** The caller's view of one destination: TCP ports reached through the mesh, passed through as plain TCP, or dropped. */
export interface OutboundPorts {
    readonly mesh: IntervalSet;
    readonly passthrough: IntervalSet;
    readonly blocked: IntervalSet;
}

/** Towards an External range: the TCP ports still open, and what limits them. */
export interface ExternalPorts {
    readonly open: IntervalSet;
    readonly note?: string;
}

export interface Scope {
    readonly sidecar?: Sidecar;
    readonly mode: OutboundMode;
}

const anyPort = IntervalSet.range(1, 65535);

export class Outbound {
    private readonly sidecars: readonly Sidecar[];
    private readonly services: readonly Service[];
    private readonly entries: readonly ServiceEntry[];
    private readonly scopes = new Map<string, Scope | undefined>();

    constructor(objects: readonly KubeObject[], private readonly mesh: MeshConfig) {
        this.sidecars = objects.filter((object) => isIstioKind(object, "Sidecar")).map(withName(parseSidecar));
        this.services = objects.filter((object) => object.kind === "Service" && (object.apiVersion ?? "v1") === "v1").map(parseService);
        this.entries = objects.filter((object) => isIstioKind(object, "ServiceEntry")).map(withName(parseServiceEntry));
    }

    /** Whether anything restricts outbound traffic at all (else scopeOf is never asked). */
    get active(): boolean {
        return this.services.length > 0 && (this.sidecars.length > 0 || this.mesh.outboundTrafficPolicy === "REGISTRY_ONLY");
    }

    /** ServiceEntry addresses, for cutting External into ranges. */
    addressBlocks(): AddressSet[] {
        return this.entries.map((entry) => entry.addresses).filter((set) => !addressesEmpty(set));
    }

    /** The scope of a caller with a sidecar, or undefined when nothing restricts its outbound traffic. */
    scopeOf(workload: Workload): Scope | undefined {
        const key = JSON.stringify([workload.namespace, workload.labels]);
        if (!this.scopes.has(key)) {
            const sidecar = this.sidecarOf(workload);
            const mode = sidecar?.mode ?? this.mesh.outboundTrafficPolicy;
            const applies = this.services.length > 0 && (sidecar !== undefined || mode === "REGISTRY_ONLY");
            this.scopes.set(key, applies ? { sidecar, mode } : undefined);
        }
        return this.scopes.get(key);
    }

    /** How `tcp` ports of `dst` are reached by a caller in `scope`. */
    toWorkload(scope: Scope, dst: Workload, tcp: IntervalSet): OutboundPorts {
        const known = this.services
            .filter((service) => service.namespace === dst.namespace && Object.entries(service.selector).every(([key, value]) => dst.labels[key] === value) && this.visible(scope, service.namespace, service.host))
            .flatMap((service) => service.targetPorts)
            .reduce((ports: IntervalSet, target) => {
                const port = typeof target === "number" ? target : dst.containerPorts.find((p) => p.name === target)?.port;
                return port === undefined ? ports : ports.union(IntervalSet.range(port, port));
            }, IntervalSet.empty);
        const mesh = tcp.intersect(known);
        const rest = tcp.subtract(known);
        return scope.mode === "REGISTRY_ONLY" ? { mesh, passthrough: IntervalSet.empty, blocked: rest } : { mesh, passthrough: rest, blocked: IntervalSet.empty };
    }

    /** The TCP ports a caller in `scope` may open to the External range starting at `address`. */
    toExternal(scope: Scope, address: Address, tcp: IntervalSet): ExternalPorts {
        if (scope.mode === "ALLOW_ANY") {
            return { open: tcp };
        }
        const visible = this.entries.filter((entry) => entry.hosts.some((host) => this.visible(scope, entry.namespace, host)));
        const byAddress = visible.filter((entry) => addressesContain(entry.addresses, address)).reduce((ports, entry) => ports.union(entry.ports), IntervalSet.empty);
        const byName = visible.filter((entry) => addressesEmpty(entry.addresses));
        const named = byName.reduce((ports, entry) => ports.union(entry.ports), IntervalSet.empty).intersect(tcp).subtract(byAddress);
        const open = tcp.intersect(byAddress.union(named));
        const source = scope.sidecar ? `Sidecar ${scope.sidecar.namespace}/${scope.sidecar.name}` : "MeshConfig";
        const note = named.isEmpty() ? undefined
            : `REGISTRY_ONLY (${source}): TCP ${formatPortSet(named)} only to ServiceEntry hosts ${[...new Set(byName.filter((entry) => !entry.ports.intersect(named).isEmpty()).flatMap((entry) => entry.hosts))].sort().join(", ")}`;
        return { open, ...(note ? { note } : {}) };
    }

    private sidecarOf(workload: Workload): Sidecar | undefined {
        const selecting = this.sidecars.find((sidecar) => sidecar.namespace === workload.namespace && sidecar.selector !== undefined
            && Object.entries(sidecar.selector).every(([key, value]) => workload.labels[key] === value));
        return selecting
            ?? this.sidecars.find((sidecar) => sidecar.namespace === workload.namespace && sidecar.selector === undefined)
            ?? this.sidecars.find((sidecar) => sidecar.namespace === this.mesh.rootNamespace && sidecar.selector === undefined);
    }

    private visible(scope: Scope, namespace: string, host: string): boolean {
        if (!scope.sidecar) {
            return true;
        }
        const sidecarNamespace = scope.sidecar.namespace;
        return scope.sidecar.hosts.some((entry) =>
            (entry.namespace === "*" || entry.namespace === namespace || (entry.namespace === "." && namespace === sidecarNamespace))
            && (entry.dnsName === "*" || entry.dnsName === host || (entry.dnsName.startsWith("*.") && host.endsWith(entry.dnsName.slice(1)))));
    }
}

function isIstioKind(object: KubeObject, kind: string): boolean {
    return object.kind === kind && String(object.apiVersion ?? "networking.istio.io/").startsWith("networking.istio.io/");
}

function withName<T>(parse: (object: KubeObject) => T): (object: KubeObject) => T {
    return (object) => {
        try {
            return parse(object);
        } catch (error) {
            throw new Error(`${describeObject(object)}: ${(error as Error).message}`);
        }
    };
}

function parseSidecar(object: KubeObject): Sidecar {
    const spec = (object.spec ?? {}) as { workloadSelector?: { labels?: Record<string, unknown> }; egress?: { hosts?: unknown }[]; outboundTrafficPolicy?: { mode?: unknown } };
    const mode = spec.outboundTrafficPolicy?.mode;
    if (mode !== undefined && mode !== "ALLOW_ANY" && mode !== "REGISTRY_ONLY") {
        throw new Error(`outboundTrafficPolicy.mode ${JSON.stringify(mode)} is not ALLOW_ANY or REGISTRY_ONLY`);
    }
    const hosts = (spec.egress ?? []).flatMap((listener, index) => {
        if (!Array.isArray(listener?.hosts) || listener.hosts.length === 0) {
            throw new Error(`egress[${index}].hosts must list namespace/dnsName entries`);
        }
        return listener.hosts.map((host: unknown) => {
            const text = String(host);
            const slash = text.indexOf("/");
            if (slash <= 0 || slash === text.length - 1) {
                throw new Error(`egress[${index}].hosts: ${JSON.stringify(text)} is not namespace/dnsName`);
            }
            return { namespace: text.slice(0, slash), dnsName: text.slice(slash + 1).toLowerCase() };
        });
    });
    const labels = spec.workloadSelector?.labels;
    return {
        namespace: namespaceOf(object),
        name: object.metadata?.name ?? "",
        ...(labels && Object.keys(labels).length > 0 ? { selector: Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, String(value)])) } : {}),
        // Without egress listeners a Sidecar keeps Istio's default: every host is visible.
        hosts: spec.egress === undefined || spec.egress.length === 0 ? [{ namespace: "*", dnsName: "*" }] : hosts,
        ...(mode ? { mode: mode as OutboundMode } : {}),
    };
}

function parseService(object: KubeObject): Service {
    const spec = (object.spec ?? {}) as { selector?: Record<string, unknown>; ports?: { port?: unknown; targetPort?: unknown }[] };
    const namespace = namespaceOf(object);
    return {
        namespace,
        host: `${object.metadata?.name ?? ""}.${namespace}.svc.cluster.local`,
        // A Service without selector has endpoints of its own (not workloads found here).
        selector: spec.selector && Object.keys(spec.selector).length > 0 ? Object.fromEntries(Object.entries(spec.selector).map(([key, value]) => [key, String(value)])) : { "\0no-selector": "" },
        targetPorts: (spec.ports ?? []).map((port) => {
            const target = port?.targetPort ?? port?.port;
            return typeof target === "number" || /^\d+$/.test(String(target)) ? Number(target) : String(target);
        }),
    };
}

function parseServiceEntry(object: KubeObject): ServiceEntry {
    const spec = (object.spec ?? {}) as { hosts?: unknown; addresses?: unknown; ports?: { number?: unknown }[] };
    if (!Array.isArray(spec.hosts) || spec.hosts.length === 0) {
        throw new Error("hosts must list at least one host");
    }
    const addresses = Array.isArray(spec.addresses) ? spec.addresses.map(String) : [];
    return {
        namespace: namespaceOf(object),
        name: object.metadata?.name ?? "",
        hosts: spec.hosts.map((host: unknown) => String(host).toLowerCase()),
        addresses: addresses.length === 0 ? noAddresses : addressBlocks(addresses, "addresses"),
        ports: (spec.ports ?? []).length === 0 ? anyPort : (spec.ports ?? []).reduce((set, port) => {
            const number = Number(port?.number);
            if (!Number.isInteger(number) || number < 1 || number > 65535) {
                throw new Error(`ports: ${JSON.stringify(port?.number)} is not a port number`);
            }
            return set.union(IntervalSet.range(number, number));
        }, IntervalSet.empty),
    };
}


