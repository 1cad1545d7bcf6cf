/**
 * The NetworkPolicy engine groups workloads that no policy tells apart and finds, through
 * label-key indexes, which policies select a group, which groups a rule admits and which
 * destinations a source may reach (netpol/connections.ts). None of that may change a result:
 * on many seeded random small clusters, every flow it lists is the one a plain evaluation of
 * every pair gives (plainNetworkPolicy.ts), and it lists no other.
 */
import * as assert from "assert";
import { clusterRuleKeys, podIdentityKeys } from "../../analysis/calico/peerKeys";
import { isClusterNetworkPolicy, parseClusterNetworkPolicy, ruleAdmitsPod } from "../../analysis/clusterPolicy/clusterNetworkPolicy";
import { KubeObject } from "../../analysis/manifests";
import { connectivity, formatConnectionSet } from "../../analysis/netpol";
import { clusterFromObjects } from "../../analysis/netpol/workloads";
import { seededRandom } from "../harness/random";
import { plainNetworkPolicyFlows } from "./plainNetworkPolicy";

type Random = () => number;

const pick = <T>(random: Random, values: readonly T[]): T => values[Math.floor(random() * values.length)];
const some = <T>(random: Random, values: readonly T[], most: number): T[] => values.filter(() => random() < most / values.length);
const count = (random: Random, most: number) => Math.floor(random() * (most + 1));

const namespaces = ["shop", "web", "data"];
/** Few labels and values, so that selectors often match and groups often hold several workloads. */
const podLabels: Record<string, readonly string[]> = { app: ["a", "b", "c"], tier: ["front", "back"], version: ["v1", "v2"] };
const namespaceLabels: Record<string, readonly string[]> = { team: ["red", "blue"], env: ["prod", "dev"] };
const portNames = ["http", "grpc", "dns"];
const blocks = [
    { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }, { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] }, { cidr: "10.1.0.0/16" },
    { cidr: "10.1.2.0/24", except: ["10.1.2.128/25"] }, { cidr: "192.168.0.0/16" }, { cidr: "fd00::/8", except: ["fd00:1::/32"] },
];

function labels(random: Random, from: Record<string, readonly string[]>): Record<string, string> {
    return Object.fromEntries(some(random, Object.keys(from), 2.5).map((key) => [key, pick(random, from[key])]));
}

/** matchLabels and matchExpressions of every operator over `from`; sometimes empty (everything). */
function selector(random: Random, from: Record<string, readonly string[]>): object {
    const keys = Object.keys(from);
    const expressions = Array.from({ length: count(random, 2) }, () => {
        const key = pick(random, keys);
        const operator = pick(random, ["In", "NotIn", "Exists", "DoesNotExist"]);
        return operator === "In" || operator === "NotIn" ? { key, operator, values: some(random, from[key], 1.5).concat(pick(random, from[key])) } : { key, operator };
    });
    return { ...(random() < 0.6 ? { matchLabels: labels(random, from) } : {}), ...(expressions.length > 0 ? { matchExpressions: expressions } : {}) };
}

function peer(random: Random): object {
    switch (count(random, 3)) {
        case 0: return { podSelector: selector(random, podLabels) };
        case 1: return { namespaceSelector: selector(random, namespaceLabels) };
        case 2: return { namespaceSelector: selector(random, namespaceLabels), podSelector: selector(random, podLabels) };
        default: return { ipBlock: pick(random, blocks) };
    }
}

function rulePorts(random: Random): object[] {
    return Array.from({ length: count(random, 2) }, () => {
        const protocol = pick(random, [undefined, "TCP", "UDP", "SCTP"]);
        const port = pick(random, [undefined, 53, 80, 8080, ...portNames]);
        const range = typeof port === "number" && random() < 0.3 ? { endPort: port + count(random, 100) } : {};
        return { ...(protocol ? { protocol } : {}), ...(port === undefined ? {} : { port }), ...range };
    });
}

function rule(random: Random, side: "from" | "to"): object {
    const peers = random() < 0.15 ? [] : Array.from({ length: 1 + count(random, 2) }, () => peer(random));
    const ports = rulePorts(random);
    return { ...(peers.length > 0 ? { [side]: peers } : {}), ...(ports.length > 0 ? { ports } : {}) };
}

/** A ClusterNetworkPolicy peer: namespaces, pods, or (egress only) networks. */
function clusterPeer(random: Random, side: "from" | "to"): object {
    switch (count(random, side === "to" ? 2 : 1)) {
        case 0: return { namespaces: selector(random, namespaceLabels) };
        case 1: return { pods: { namespaceSelector: selector(random, namespaceLabels), podSelector: selector(random, podLabels) } };
        default: return { networks: [pick(random, blocks).cidr] };
    }
}

function clusterProtocols(random: Random): object[] {
    return Array.from({ length: count(random, 2) }, () => {
        if (random() < 0.2) {
            return { destinationNamedPort: pick(random, portNames) };
        }
        const port = pick(random, [53, 80, 8080]);
        const destinationPort = random() < 0.3 ? { range: { start: port, end: port + 1 + count(random, 100) } } : { number: port };
        return { [pick(random, ["tcp", "udp", "sctp"])]: { destinationPort } };
    });
}

function clusterRule(random: Random, side: "from" | "to"): object {
    const protocols = clusterProtocols(random);
    return {
        action: pick(random, ["Accept", "Deny", "Pass"]),
        [side]: Array.from({ length: 1 + count(random, 1) }, () => clusterPeer(random, side)),
        ...(protocols.length > 0 ? { protocols } : {}),
    };
}

/** 0 to 3 ClusterNetworkPolicies of both tiers, with clashing priorities now and then (then the name decides). */
function clusterNetworkPolicies(random: Random): KubeObject[] {
    return Array.from({ length: count(random, 3) }, (_, i) => ({
        apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy", metadata: { name: `c${i}` },
        spec: {
            tier: pick(random, ["Admin", "Baseline"]),
            priority: pick(random, [0, 1, 1, 5]),
            subject: random() < 0.5 ? { namespaces: selector(random, namespaceLabels) } : { pods: { namespaceSelector: selector(random, namespaceLabels), podSelector: selector(random, podLabels) } },
            ...(random() < 0.7 ? { ingress: Array.from({ length: 1 + count(random, 2) }, () => clusterRule(random, "from")) } : {}),
            ...(random() < 0.7 ? { egress: Array.from({ length: 1 + count(random, 2) }, () => clusterRule(random, "to")) } : {}),
        },
    }));
}

function randomCluster(seed: number, withClusterPolicies = false): KubeObject[] {
    const random = seededRandom(seed);
    const objects: KubeObject[] = namespaces.filter(() => random() < 0.8)
        .map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: labels(random, namespaceLabels) } }));
    for (let i = 0, workloads = 2 + count(random, 10); i < workloads; i++) {
        const ports = some(random, portNames, 1.5).map((name) => ({ name, containerPort: pick(random, [53, 80, 8080, 9090]), ...(random() < 0.3 ? { protocol: "UDP" } : {}) }));
        const template = { metadata: { labels: labels(random, podLabels) }, spec: { containers: [{ name: "c", image: "x:1", ports }] } };
        const metadata = { name: `w${i}`, namespace: pick(random, namespaces) };
        objects.push(random() < 0.3
            ? { apiVersion: "v1", kind: "Pod", metadata: { ...metadata, labels: template.metadata.labels }, spec: template.spec }
            : { apiVersion: "apps/v1", kind: pick(random, ["Deployment", "StatefulSet", "DaemonSet"]), metadata, spec: { template } });
    }
    for (let i = 0, policies = 1 + count(random, 7); i < policies; i++) {
        const types = pick(random, [undefined, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]);
        objects.push({
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: `p${i}`, namespace: pick(random, namespaces) },
            spec: {
                podSelector: random() < 0.3 ? {} : selector(random, podLabels),
                ...(types ? { policyTypes: types } : {}),
                ...(random() < 0.7 ? { ingress: Array.from({ length: count(random, 3) }, () => rule(random, "from")) } : {}),
                ...(random() < 0.6 ? { egress: Array.from({ length: count(random, 3) }, () => rule(random, "to")) } : {}),
            },
        });
    }
    return withClusterPolicies ? [...objects, ...clusterNetworkPolicies(random)] : objects;
}

describe("NetworkPolicy engine: groups and indexes never change a result", () => {
    it("on 500 seeded random small clusters, lists exactly the flows a plain pair-by-pair evaluation gives", function () {
        let flows = 0;
        let isolatedPairs = 0;
        for (let seed = 1; seed <= 500; seed++) {
            const objects = randomCluster(seed);
            const expected = plainNetworkPolicyFlows(objects);
            const actual = connectivity(objects).map(({ src, dst, allowed }) => `${src.name} => ${dst.name} : ${formatConnectionSet(allowed)}`).sort();
            assert.deepStrictEqual(actual, expected, `seed ${seed}`);
            flows += actual.length;
            isolatedPairs += actual.filter((line) => !line.endsWith(": All Connections")).length;
        }
        // The clusters exercise what they are for: many flows, many of them narrowed by some policy.
        assert.ok(flows > 20000 && isolatedPairs > 2000, `${flows} flows, ${isolatedPairs} narrowed`);
    });

    it("with ClusterNetworkPolicies of both tiers around the NetworkPolicies, on 300 more clusters, lists exactly the plain evaluation's flows", function () {
        let decided = 0;
        for (let seed = 1; seed <= 300; seed++) {
            const objects = randomCluster(seed, true);
            const expected = plainNetworkPolicyFlows(objects);
            const actual = connectivity(objects).map(({ src, dst, allowed }) => `${src.name} => ${dst.name} : ${formatConnectionSet(allowed)}`).sort();
            assert.deepStrictEqual(actual, expected, `seed ${seed}`);
            const withoutClusterPolicies = plainNetworkPolicyFlows(objects.filter((object) => object.kind !== "ClusterNetworkPolicy"));
            decided += JSON.stringify(actual) === JSON.stringify(withoutClusterPolicies) ? 0 : 1;
        }
        // The ClusterNetworkPolicies change the result of many clusters (134 of these), so the comparison covers them.
        assert.ok(decided > 100, `${decided} of 300 clusters changed by their ClusterNetworkPolicies`);
    });

    it("keys a ClusterNetworkPolicy rule by its peers so that every pod it admits has one of its keys", function () {
        // The flows above rarely hinge on a rule whose peers give keys of a namespace and a label
        // together; this asks the index's own promise of every rule and pod of those clusters.
        let keyedAdmissions = 0;
        for (let seed = 1; seed <= 300; seed++) {
            const objects = randomCluster(seed, true);
            const cluster = clusterFromObjects(objects);
            const pods = cluster.workloads.map((workload) => ({ namespace: workload.namespace, namespaceLabels: cluster.namespaces.get(workload.namespace) ?? {}, labels: workload.labels }));
            for (const policy of objects.filter(isClusterNetworkPolicy).map(parseClusterNetworkPolicy)) {
                for (const rule of [...policy.ingress, ...policy.egress]) {
                    const keys = clusterRuleKeys(rule);
                    for (const pod of pods.filter((candidate) => ruleAdmitsPod(rule, candidate))) {
                        if (keys !== undefined) {
                            assert.ok(podIdentityKeys(pod).some((key) => keys.includes(key)), `seed ${seed}: ${policy.name} rule ${rule.index} admits ${pod.namespace} ${JSON.stringify(pod.labels)} without one of its keys ${keys.join(" ")}`);
                            keyedAdmissions++;
                        }
                    }
                }
            }
        }
        assert.ok(keyedAdmissions > 300, `${keyedAdmissions} admissions by keyed rules`);
    });
});
