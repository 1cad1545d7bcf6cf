/**
 * Reads every kind the engine evaluates from a live cluster's API server: all namespaces, in
 * pages (`limit`/`continue`), each item given its list's kind and apiVersion, as `kubectl get
 * -A -o yaml` would write them. A CRD group the server does not serve (404: Calico, Istio or
 * Gateway API not installed) is skipped without a word, as the same cluster's manifests would
 * hold none of its objects; RBAC refusing a list is a `LiveClusterError` naming the resource.
 *
 * The kubeconfig is read by @kubernetes/client-node (contexts, client certificates, bearer
 * tokens and token files, exec and auth-provider plugins, CA data, insecure-skip-tls-verify):
 * its authentication is what no short hand-written code gets right. It is loaded only when a
 * live cluster is asked for (it takes about half a second), so reading files starts as fast as
 * before. The lists themselves are plain GETs: paging and telling 404 from 403 need nothing more.
 */
import * as http from "http";
import * as https from "https";
import type * as k8s from "@kubernetes/client-node";
import type { KubeObject } from "../manifests";
import { LiveClusterError } from "./liveClusterError";

/** Where a live cluster is: a kubeconfig file (default $KUBECONFIG, then ~/.kube/config) and a context in it (default its current one). */
export interface LiveSource {
    readonly kubeconfig?: string;
    readonly context?: string;
}

/** A resource the engine evaluates, in the versions to try in order (the first one served is read). */
interface LiveResource {
    readonly group: string;
    readonly versions: readonly string[];
    readonly plural: string;
    readonly kind: string;
    /** Built-in resources every API server serves: a 404 on them is an error, not an absent CRD. */
    readonly builtIn?: boolean;
    /** Read in this namespace only (the mesh's ConfigMap), not in all namespaces. */
    readonly namespace?: string;
    /** Of the items read, those the engine reads (by name). */
    readonly names?: RegExp;
}

/** Each resource's kind. */
const kinds: Readonly<Record<string, string>> = {
    namespaces: "Namespace", pods: "Pod", services: "Service", serviceaccounts: "ServiceAccount", replicationcontrollers: "ReplicationController",
    deployments: "Deployment", daemonsets: "DaemonSet", replicasets: "ReplicaSet", statefulsets: "StatefulSet", jobs: "Job", cronjobs: "CronJob",
    authorizationpolicies: "AuthorizationPolicy", peerauthentications: "PeerAuthentication", requestauthentications: "RequestAuthentication",
    gateways: "Gateway", serviceentries: "ServiceEntry", sidecars: "Sidecar", virtualservices: "VirtualService", gatewayclasses: "GatewayClass", httproutes: "HTTPRoute",
    tiers: "Tier", globalnetworkpolicies: "GlobalNetworkPolicy", networkpolicies: "NetworkPolicy", globalnetworksets: "GlobalNetworkSet", networksets: "NetworkSet", hostendpoints: "HostEndpoint",
    stagedglobalnetworkpolicies: "StagedGlobalNetworkPolicy", stagednetworkpolicies: "StagedNetworkPolicy", stagedkubernetesnetworkpolicies: "StagedKubernetesNetworkPolicy",
};

/**
 * Every kind with a schema the engine evaluates (schema/generated/schemas.json), newest API
 * version first. Calico's policy is read from projectcalico.org/v3 where the Calico API server
 * serves it, and from its CRDs (crd.projectcalico.org/v1) only where it does not: the API server
 * serves the CRDs' objects, and reading both would count each policy twice.
 */
const builtInResources: readonly LiveResource[] = [
    ...["namespaces", "pods", "services", "serviceaccounts", "replicationcontrollers"].map((plural) => ({ group: "", versions: ["v1"], plural, kind: kinds[plural], builtIn: true })),
    ...["deployments", "daemonsets", "replicasets", "statefulsets"].map((plural) => ({ group: "apps", versions: ["v1"], plural, kind: kinds[plural], builtIn: true })),
    ...["jobs", "cronjobs"].map((plural) => ({ group: "batch", versions: ["v1"], plural, kind: kinds[plural], builtIn: true })),
    { group: "networking.k8s.io", versions: ["v1"], plural: "networkpolicies", kind: "NetworkPolicy", builtIn: true },
    // MeshConfig: the ConfigMap `istio` (or `istio-REVISION`) in istio-system (istio/meshConfig.ts).
    { group: "", versions: ["v1"], plural: "configmaps", kind: "ConfigMap", builtIn: true, namespace: "istio-system", names: /^istio(-.+)?$/ },
];

const calicoPlurals = ["tiers", "globalnetworkpolicies", "networkpolicies", "globalnetworksets", "networksets", "hostendpoints",
    "stagedglobalnetworkpolicies", "stagednetworkpolicies", "stagedkubernetesnetworkpolicies"];

const crdResources: readonly LiveResource[] = [
    { group: "policy.networking.k8s.io", versions: ["v1alpha2"], plural: "clusternetworkpolicies", kind: "ClusterNetworkPolicy" },
    ...["authorizationpolicies", "peerauthentications", "requestauthentications"].map((plural) => ({ group: "security.istio.io", versions: ["v1", "v1beta1"], plural, kind: kinds[plural] })),
    ...["gateways", "serviceentries", "sidecars", "virtualservices"].map((plural) => ({ group: "networking.istio.io", versions: ["v1", "v1beta1", "v1alpha3"], plural, kind: kinds[plural] })),
    ...["gatewayclasses", "gateways", "httproutes"].map((plural) => ({ group: "gateway.networking.k8s.io", versions: ["v1", "v1beta1"], plural, kind: kinds[plural] })),
];

/** The resources read, as `plural.group` (what RBAC names), for the documentation and its test. */
export function readResources(): readonly string[] {
    const calico = calicoPlurals.flatMap((plural) => [`${plural}.projectcalico.org`, `${plural}.crd.projectcalico.org`]);
    return [...new Set([...builtInResources, ...crdResources].map(resourceName).concat(calico))];
}

function resourceName(resource: Pick<LiveResource, "plural" | "group">): string {
    return resource.group === "" ? resource.plural : `${resource.plural}.${resource.group}`;
}

/** How many objects are read between two progress lines. */
const progressEvery = 5_000;
/** Items per page: the API server's own default chunk size for kubectl. */
const pageSize = 500;

export interface LiveRead {
    /** The context read, to name the source of each object ("cluster CONTEXT"). */
    readonly context: string;
    readonly objects: readonly KubeObject[];
}

/**
 * Every object of the resources above in the cluster `source` names. `progress` hears a line
 * every 5,000 objects.
 */
export async function readLiveCluster(source: LiveSource, progress: (line: string) => void = () => undefined): Promise<LiveRead> {
    const client = await connect(source);
    const objects: KubeObject[] = [];
    let reported = 0;
    const collect = (resource: LiveResource, version: string): Promise<boolean> => listAll(client, resource, version, (items) => {
        objects.push(...items);
        if (objects.length - reported >= progressEvery) {
            reported = objects.length - (objects.length % progressEvery);
            progress(`read ${objects.length.toLocaleString("en-US")} objects from cluster ${client.context} (now ${resourceName(resource)})`);
        }
    });
    for (const resource of [...builtInResources, ...crdResources]) {
        await readFirstServed(resource, collect);
    }
    // Calico: the API server's projectcalico.org/v3 where it is installed, else the CRDs.
    let calicoServed = false;
    for (const plural of calicoPlurals) {
        calicoServed = await readFirstServed({ group: "projectcalico.org", versions: ["v3"], plural, kind: kinds[plural] }, collect) || calicoServed;
    }
    if (!calicoServed) {
        for (const plural of calicoPlurals) {
            await readFirstServed({ group: "crd.projectcalico.org", versions: ["v1"], plural, kind: kinds[plural] }, collect);
        }
    }
    return { context: client.context, objects };
}

/** Reads the first version of `resource` the server serves; false when it serves none (a CRD not installed). */
async function readFirstServed(resource: LiveResource, collect: (resource: LiveResource, version: string) => Promise<boolean>): Promise<boolean> {
    for (const version of resource.versions) {
        if (await collect(resource, version)) return true;
    }
    if (resource.builtIn) {
        throw new LiveClusterError(`the API server does not serve ${resourceName(resource)} ${resource.group === "" ? "v1" : `${resource.group}/${resource.versions.join(", ")}`} (404): is it a Kubernetes API server?`);
    }
    return false;
}

interface Client {
    readonly context: string;
    readonly server: URL;
    readonly options: https.RequestOptions;
}

/** The cluster, credentials and TLS settings of the chosen context, through @kubernetes/client-node. */
async function connect(source: LiveSource): Promise<Client> {
    const { KubeConfig } = loadClientNode();
    const config = new KubeConfig();
    const file = source.kubeconfig;
    try {
        if (file !== undefined) {
            config.loadFromFile(file);
        } else {
            config.loadFromDefault();
        }
    } catch (error) {
        throw new LiveClusterError(`cannot read the kubeconfig${file === undefined ? "" : ` ${file}`}: ${firstLine((error as Error).message)}`);
    }
    const where = file === undefined ? "the kubeconfig ($KUBECONFIG, or ~/.kube/config)" : `kubeconfig ${file}`;
    if (source.context !== undefined) {
        if (config.getContextObject(source.context) === null) {
            const known = config.getContexts().map((context) => context.name);
            throw new LiveClusterError(`${where} has no context ${JSON.stringify(source.context)}${known.length === 0 ? "" : ` (it has ${known.join(", ")})`}`);
        }
        config.setCurrentContext(source.context);
    }
    const context = config.getCurrentContext();
    const cluster = config.getCurrentCluster();
    if (!context || cluster === null || !cluster.server) {
        throw new LiveClusterError(`${where} names no cluster to read: give --context NAME${config.getContexts().length === 0 ? " of a kubeconfig that has contexts" : ""}`);
    }
    const options: https.RequestOptions = {};
    try {
        await config.applyToHTTPSOptions(options);
    } catch (error) {
        // An exec plugin or token file that fails, or an http:// server without insecure-skip-tls-verify: the library's message, which holds no credentials.
        throw new LiveClusterError(`${where}: context ${context}: ${firstLine((error as Error).message)}`);
    }
    return { context, server: new URL(cluster.server), options };
}

/** @kubernetes/client-node is an ES module: Node.js loads it with require from 20.19 on. */
function loadClientNode(): typeof k8s {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require("@kubernetes/client-node") as typeof k8s;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ERR_REQUIRE_ESM") {
            throw new LiveClusterError(`reading a live cluster needs Node.js 20.19 or later (this is ${process.version})`);
        }
        throw error;
    }
}

/**
 * Reads every page of `resource` at `version`, handing each page's items to `take`; false when
 * the server does not serve that group and version (404).
 */
async function listAll(client: Client, resource: LiveResource, version: string, take: (items: KubeObject[]) => void): Promise<boolean> {
    const apiVersion = resource.group === "" ? version : `${resource.group}/${version}`;
    const base = `${resource.group === "" ? "/api/v1" : `/apis/${apiVersion}`}${resource.namespace === undefined ? "" : `/namespaces/${resource.namespace}`}/${resource.plural}`;
    let token: string | undefined;
    do {
        const query = new URLSearchParams({ limit: String(pageSize), ...(token ? { continue: token } : {}) });
        const response = await get(client, `${base}?${query}`);
        if (response.status === 404) {
            // The group or version is not served (a page after the first cannot 404: the list exists).
            return false;
        }
        if (response.status === 403) {
            const scope = resource.namespace === undefined ? "in all namespaces" : `in namespace ${resource.namespace}`;
            throw new LiveClusterError(`the kubeconfig's user (context ${client.context}) may not list ${resourceName(resource)} ${scope} (403 Forbidden): `
                + "grant list on it (ztmesh's docs/cli.md, Live clusters, gives a ClusterRole for every resource read), or read the objects from files");
        }
        if (response.status === 401) {
            throw new LiveClusterError(`the API server of context ${client.context} (${client.server.origin}) refused the kubeconfig's credentials (401 Unauthorized)`);
        }
        if (response.status === 410) {
            throw new LiveClusterError(`listing ${resourceName(resource)} took longer than the API server keeps a list's continue token (410 Gone); run again`);
        }
        if (response.status !== 200) {
            throw new LiveClusterError(`listing ${resourceName(resource)} at ${client.server.origin}: ${response.status} ${serverMessage(response.body)}`);
        }
        const list = parseList(response.body, resourceName(resource));
        const items = list.items.filter((item) => resource.names === undefined || resource.names.test(String(item.metadata?.name ?? "")));
        take(items.map((item) => asStored(item, resource.kind, apiVersion)));
        token = list.metadata?.continue || undefined;
    } while (token !== undefined);
    return true;
}

interface ListPage {
    readonly items: KubeObject[];
    readonly metadata?: { readonly continue?: string };
}

function parseList(body: string, resource: string): ListPage {
    let page: unknown;
    try {
        page = JSON.parse(body);
    } catch {
        throw new LiveClusterError(`listing ${resource}: the API server's answer is not JSON`);
    }
    if (typeof page !== "object" || page === null || !Array.isArray((page as ListPage).items)) {
        throw new LiveClusterError(`listing ${resource}: the API server's answer has no items list`);
    }
    return page as ListPage;
}

/**
 * An item of a list as the object it is: the list's kind and apiVersion (the server leaves them
 * out of items), without what the server writes about it rather than what was declared:
 * `status` and the metadata the server keeps (managedFields, uid, resourceVersion, generation,
 * creationTimestamp, the last-applied annotation kubectl writes). The engine reads none of them.
 */
function asStored(item: KubeObject, kind: string, apiVersion: string): KubeObject {
    const { status: _status, ...declared } = item;
    const { managedFields: _managed, uid: _uid, resourceVersion: _version, generation: _generation, creationTimestamp: _created, selfLink: _self, ...metadata } = (item.metadata ?? {}) as Record<string, unknown>;
    const annotations = metadata.annotations as Record<string, string> | undefined;
    if (annotations !== undefined) {
        const { "kubectl.kubernetes.io/last-applied-configuration": _applied, ...kept } = annotations;
        if (Object.keys(kept).length === 0) delete metadata.annotations;
        else metadata.annotations = kept;
    }
    return { ...declared, apiVersion, kind, metadata } as KubeObject;
}

interface Answer {
    readonly status: number;
    readonly body: string;
}

function get(client: Client, pathAndQuery: string): Promise<Answer> {
    // A server URL with a path (a proxy in front of the API server) keeps it.
    const url = new URL(`${client.server.href.replace(/\/$/, "")}${pathAndQuery}`);
    const transport = url.protocol === "http:" ? http : https;
    return new Promise((resolve, reject) => {
        const request = transport.request(url, { ...client.options, method: "GET", headers: { ...client.options.headers, Accept: "application/json" } }, (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            response.on("error", reject);
        });
        request.on("error", (error) => reject(new LiveClusterError(`cannot reach the API server of context ${client.context} at ${client.server.origin}: ${firstLine(error.message)}`)));
        request.end();
    });
}

/** The `message` of a Kubernetes Status answer, else the start of the body. */
function serverMessage(body: string): string {
    try {
        const status = JSON.parse(body) as { message?: unknown };
        if (typeof status.message === "string") return firstLine(status.message);
    } catch {
        // not JSON: a proxy's page
    }
    return firstLine(body).slice(0, 200);
}

function firstLine(message: string): string {
    return message.split("\n")[0];
}
