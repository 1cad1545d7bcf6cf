/**
 * External ranges under many address rules. The engines evaluate a group's rules over all
 * External ranges at once (netpol/rangeIndex.ts, calico/rangeClasses.ts); here, on seeded
 * random small clusters of Calico policies with nets and notNets (IPv4 and IPv6, nested and
 * overlapping, Allow, Deny, Pass and Log, tiers that deny or pass, network sets that selectors
 * pick) and Kubernetes NetworkPolicies with ipBlocks and excepts, every flow must be the one a
 * plain evaluation gives: each pair on its own, each rule asked of it in order, as Felix (or
 * the NetworkPolicy spec) reads them. Then the work a rule does on External stays linear in the
 * policies where each names its own address (test/bench/netsCluster.ts's shapes).
 */
import * as assert from "assert";
import { calicoConnectivity, tierInputs } from "../../analysis/calico";
import { tieredConnections } from "../../analysis/calico/evaluate";
import { subtractConnections } from "../../analysis/calico/connectionSets";
import { Group, RulePeer, TierRule } from "../../analysis/calico/model";
import { Peer, tieredPeers } from "../../analysis/calico/peers";
import { KubeObject } from "../../analysis/manifests";
import { connectivity } from "../../analysis/netpol";
import { formatConnectionSet } from "../../analysis/netpol/format";
import { externalRanges } from "../../analysis/netpol/ipRanges";
import { parseNetworkPolicy, policySelects, ruleAdmitsAddress, ruleIpBlocks } from "../../analysis/netpol/policy";
import { ConnectionSet } from "../../analysis/netpol/ports";
import { clusterFromObjects, workloadId } from "../../analysis/netpol/workloads";
import { externalName } from "../../analysis/netpol/format";
import { netsCluster, netsShapes } from "../bench/netsCluster";
import { seededRandom as random } from "../harness/random";

const cidrs = [
    "0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "10.1.2.4", "10.200.0.0/14", "192.168.0.0/16", "192.168.1.0/24",
    "::/0", "fd00::/8", "fd00:1::/32", "fd00:1::5/128", "2001:db8::/32", "2001:db8::1",
];
/** ipBlocks with excepts inside their cidr, as Kubernetes requires. */
const blocks = [
    { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }, { cidr: "10.0.0.0/8", except: ["10.1.0.0/16", "10.200.0.0/14"] },
    { cidr: "10.1.0.0/16", except: ["10.1.2.0/24"] }, { cidr: "10.1.2.0/24" }, { cidr: "192.168.0.0/16", except: ["192.168.1.0/24"] },
    { cidr: "fd00::/8", except: ["fd00:1::/32"] }, { cidr: "2001:db8::/32" }, { cidr: "fd00:1::/32", except: ["fd00:1::5/128"] },
];

function pods(): KubeObject[] {
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { team: "shop" } } },
        ...["a", "b", "c"].map((app): KubeObject => ({
            apiVersion: "v1", kind: "Pod", metadata: { name: app, namespace: "shop", labels: { app } },
            spec: { containers: [{ name: "c", image: "x:1", ports: [{ name: "http", containerPort: 8080 }, { containerPort: 53, protocol: "UDP" }] }] },
        })),
    ];
}

function calicoCluster(seed: number): KubeObject[] {
    const next = random(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const some = <T>(items: readonly T[], most: number): T[] => Array.from({ length: 1 + Math.floor(next() * most) }, () => pick(items));
    const objects = pods();
    const tiers = ["default"];
    if (next() < 0.5) {
        objects.push({ apiVersion: "projectcalico.org/v3", kind: "Tier", metadata: { name: "security" }, spec: { order: 100, ...(next() < 0.5 ? { defaultAction: "Pass" } : {}) } });
        tiers.push("security");
    }
    const sets = Math.floor(next() * 3);
    for (let i = 0; i < sets; i++) {
        objects.push({ apiVersion: "projectcalico.org/v3", kind: "GlobalNetworkSet", metadata: { name: `set-${i}`, labels: { role: pick(["x", "y"]) } }, spec: { nets: some(cidrs.slice(1), 2) } });
    }
    const entity = (): Record<string, unknown> => {
        const choice = next();
        if (choice < 0.35) {
            return { nets: some(cidrs, 2) };
        }
        if (choice < 0.55) {
            return { notNets: some(cidrs, 2) };
        }
        if (choice < 0.7) {
            return { nets: some(cidrs, 2), notNets: some(cidrs, 1) };
        }
        if (choice < 0.8) {
            return next() < 0.5 ? { selector: `role == "${pick(["x", "y"])}"` } : { notSelector: `role == "${pick(["x", "y"])}"` };
        }
        if (choice < 0.9) {
            return { selector: `app == "${pick(["a", "b"])}"` };
        }
        return {};
    };
    const rule = (side: "source" | "destination") => {
        const protocol = pick([undefined, "TCP", "UDP"]);
        return {
            action: pick(["Allow", "Allow", "Deny", "Pass", "Log"]),
            ...(protocol ? { protocol } : {}),
            ...(next() < 0.15 ? { ipVersion: pick([4, 6]) } : {}),
            [side]: entity(),
            ...(protocol && next() < 0.4 ? { destination: { ...(side === "destination" ? {} : {}), ports: [pick([53, 8080, "http"])] } } : {}),
        };
    };
    const policies = 1 + Math.floor(next() * 6);
    for (let i = 0; i < policies; i++) {
        if (next() < 0.2) {
            objects.push({
                apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: `k-${i}`, namespace: "shop" },
                spec: {
                    podSelector: next() < 0.5 ? {} : { matchLabels: { app: pick(["a", "b"]) } }, policyTypes: ["Ingress", "Egress"],
                    ingress: some([{ from: [{ ipBlock: pick(blocks) }] }, { from: [{ ipBlock: pick(blocks) }], ports: [{ port: 8080 }] }, {}], 2),
                    egress: some([{ to: [{ ipBlock: pick(blocks) }, { ipBlock: pick(blocks) }] }, { to: [{ podSelector: {} }] }], 2),
                },
            });
            continue;
        }
        const tier = pick(tiers);
        const types = pick([["Ingress"], ["Egress"], ["Ingress", "Egress"]]);
        objects.push({
            apiVersion: "projectcalico.org/v3", kind: "GlobalNetworkPolicy", metadata: { name: tier === "default" ? `p-${i}` : `${tier}.p-${i}` },
            spec: {
                tier, order: Math.floor(next() * 3), selector: pick(["all()", "app == \"a\"", "app in {\"b\", \"c\"}"]), types,
                ...(types.includes("Ingress") ? { ingress: Array.from({ length: Math.floor(next() * 4) }, () => rule("source")) } : {}),
                ...(types.includes("Egress") ? { egress: Array.from({ length: Math.floor(next() * 4) }, () => rule("destination")) } : {}),
            },
        });
    }
    return objects;
}

/** One direction of a pair as the Calico documentation reads: tiers in order, each rule asked in order, then the profiles. */
function plainDirection(group: Group, direction: "ingress" | "egress", src: Peer, dst: Peer): ConnectionSet {
    const destinationPorts = dst.kind === "pods" ? dst.group.containerPorts : [];
    const ipv6 = (peer: Peer) => (peer.kind === "external" ? typeof peer.range.start === "bigint" : peer.group.identity.addresses?.v4.isEmpty() === true && !peer.group.identity.addresses.v6.isEmpty());
    const family = ipv6(src) || ipv6(dst) ? 6 : 4;
    let undecided = ConnectionSet.all;
    let allowed = ConnectionSet.none;
    const run = (rules: readonly TierRule[]) => {
        let passed = ConnectionSet.none;
        for (const rule of rules) {
            if (rule.action === "Log" || (rule.ipVersion !== undefined && rule.ipVersion !== family) || !rule.matchesSource(src.view) || !rule.matchesDestination(dst.view)) {
                continue;
            }
            const covered = undecided.intersect(rule.connections(destinationPorts));
            allowed = rule.action === "Allow" ? allowed.union(covered) : allowed;
            passed = rule.action === "Pass" ? passed.union(covered) : passed;
            undecided = subtractConnections(undecided, covered);
        }
        return passed;
    };
    for (const { tier, policies } of group[direction] ?? []) {
        const passed = run(policies.flatMap((policy) => policy[direction] ?? []));
        undecided = tier.defaultAction === "Pass" ? passed.union(undecided) : passed;
    }
    for (const profile of group.profiles) {
        undecided = undecided.union(run(profile[direction]));
    }
    return allowed;
}

function plainCalicoFlows(objects: readonly KubeObject[]): string[] {
    const { sources, destinations } = tieredPeers(tierInputs(objects));
    const flows: string[] = [];
    for (const src of sources) {
        for (const dst of destinations) {
            if (src.endpoint.name === dst.endpoint.name || (src.kind === "external" && dst.kind === "external")) {
                continue;
            }
            const egress = src.kind === "pods" ? plainDirection(src.group, "egress", src, dst) : ConnectionSet.all;
            const allowed = dst.kind === "pods" ? egress.intersect(plainDirection(dst.group, "ingress", src, dst)) : egress;
            if (!allowed.isEmpty()) {
                flows.push(`${src.endpoint.name} => ${dst.endpoint.name} : ${formatConnectionSet(allowed)}`);
            }
        }
    }
    return flows.sort();
}

/** The NetworkPolicy spec read plainly: a side isolated by some policy allows the union of the ports of its rules admitting the address. */
function plainNetpolExternalFlows(objects: readonly KubeObject[]): string[] {
    const policies = objects.filter((object) => object.kind === "NetworkPolicy").map(parseNetworkPolicy);
    const cluster = clusterFromObjects(objects);
    const flows: string[] = [];
    for (const workload of cluster.workloads) {
        const identity = { namespace: workload.namespace, namespaceLabels: cluster.namespaces.get(workload.namespace) ?? {}, labels: workload.labels };
        const selecting = policies.filter((policy) => policySelects(policy, identity));
        const allowed = (direction: "ingress" | "egress", address: number | bigint) => {
            const isolating = selecting.filter((policy) => policy[direction] !== undefined);
            return isolating.length === 0 ? ConnectionSet.all : isolating.flatMap((policy) => policy[direction]!)
                .filter((rule) => ruleAdmitsAddress(rule, address))
                .reduce((union, rule) => union.union(rule.ports(direction === "ingress" ? workload.containerPorts : [])), ConnectionSet.none);
        };
        for (const direction of ["ingress", "egress"] as const) {
            for (const range of externalRanges(policies.flatMap((policy) => ruleIpBlocks(policy[direction])))) {
                const set = allowed(direction, range.start);
                if (!set.isEmpty()) {
                    const [src, dst] = direction === "ingress" ? [externalName(range), workloadId(workload)] : [workloadId(workload), externalName(range)];
                    flows.push(`${src} => ${dst} : ${formatConnectionSet(set)}`);
                }
            }
        }
    }
    return flows.sort();
}

const lines = (connections: readonly { src: { name: string }; dst: { name: string }; allowed: ConnectionSet }[]) =>
    connections.map(({ src, dst, allowed }) => `${src.name} => ${dst.name} : ${formatConnectionSet(allowed)}`).sort();

describe("External ranges under many address rules", () => {
    it("Calico: on 300 seeded random clusters, every flow is the one a plain pair-by-pair evaluation gives", () => {
        let externalFlows = 0;
        for (let seed = 1; seed <= 300; seed++) {
            const objects = calicoCluster(seed);
            const actual = lines(calicoConnectivity(objects));
            assert.deepStrictEqual(actual, plainCalicoFlows(objects), `seed ${seed}`);
            externalFlows += actual.filter((line) => line.includes("[External")).length;
        }
        // The inputs do exercise External: most clusters list flows to or from ranges.
        assert.ok(externalFlows > 1000, `${externalFlows} External flows`);
    });

    it("Kubernetes NetworkPolicy: on 300 seeded random clusters, every External flow is the one the spec read plainly gives", () => {
        for (let seed = 1; seed <= 300; seed++) {
            const objects = calicoCluster(seed).filter((object) => object.kind !== "GlobalNetworkPolicy" && object.kind !== "GlobalNetworkSet" && object.kind !== "Tier");
            const actual = lines(connectivity(objects)).filter((line) => line.includes("[External]"));
            assert.deepStrictEqual(actual, plainNetpolExternalFlows(objects), `seed ${seed}`);
        }
    });

    /**
     * How often a rule is asked whether it matches an External range, for the bench's shapes at
     * 200 and 400 policies: asking each range of each rule made it four times as many at twice
     * the policies. A rule is asked only where its addresses leave the answer to its selectors.
     */
    it("asks rules about External ranges a number of times linear in the policies, on every shape of the bench", () => {
        const asked = (policies: number, shape: (typeof netsShapes)[number]) => {
            const inputs = tierInputs(netsCluster(policies, shape));
            let count = 0;
            const counted = (ask: (peer: RulePeer) => boolean) => (peer: RulePeer) => {
                count += peer.kind === "external" ? 1 : 0;
                return ask(peer);
            };
            const countRule = (rule: TierRule): TierRule => ({ ...rule, matchesSource: counted(rule.matchesSource), matchesDestination: counted(rule.matchesDestination) });
            const flows = tieredConnections({
                ...inputs,
                policies: inputs.policies.map((policy) => ({ ...policy, ingress: policy.ingress?.map(countRule), egress: policy.egress?.map(countRule) })),
            });
            return { count, flows: flows.length };
        };
        for (const shape of netsShapes) {
            const small = asked(200, shape);
            const large = asked(400, shape);
            assert.ok(large.flows >= 2 * small.flows - 10, `${shape}: the flows grow with the policies (${small.flows}, ${large.flows})`);
            assert.ok(large.count <= 2 * small.count + 100, `${shape}: ${small.count} questions at 200 policies, ${large.count} at 400`);
        }
    });
});
