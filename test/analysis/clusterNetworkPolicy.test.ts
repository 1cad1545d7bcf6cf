import * as assert from "assert";
import { calicoConnectivity } from "../../analysis/calico";
import { flowExplainer } from "../../analysis/explain";
import { KubeObject, parseManifests } from "../../analysis/manifests";
import { connectivity, formatConnections } from "../../analysis/netpol";
import { objectProblem } from "../../analysis/schema/validate";

/**
 * ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) evaluation, by hand-worked cases:
 * each listing is computed by both engines, the NetworkPolicy engine (Kubernetes' tier order)
 * and the Calico engine (kube-admin, default, kube-baseline tiers), which must agree where no
 * Calico object is given.
 */
const cluster = `
apiVersion: v1
kind: Namespace
metadata: {name: app, labels: {team: app}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops}
---
kind: Pod
metadata: {name: web, namespace: app, labels: {role: web}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]}]}
---
kind: Pod
metadata: {name: db, namespace: app, labels: {role: db}}
---
kind: Pod
metadata: {name: probe, namespace: ops, labels: {role: probe}}
`;

type Spec = Record<string, unknown>;

function cnp(name: string, tier: "Admin" | "Baseline", priority: number, spec: Spec): KubeObject {
    return { apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy", metadata: { name }, spec: { tier, priority, ...spec } };
}

const appPods = { namespaces: { matchLabels: { team: "app" } } };
const fromOps = [{ namespaces: { matchLabels: { "kubernetes.io/metadata.name": "ops" } } }];
const everyNamespace = [{ namespaces: {} }];

/** The listing of `objects` (the cluster's and those given), which both engines must compute alike. */
function listing(extra: readonly KubeObject[], yaml = cluster): string {
    const objects = [...parseManifests(yaml, "cluster.yaml"), ...extra];
    const kubernetes = formatConnections(connectivity(objects));
    assert.strictEqual(formatConnections(calicoConnectivity(objects)), kubernetes, "the Calico tiers give what Kubernetes' order gives");
    return kubernetes;
}

/** What `src` may send `dst` in a listing ("" when nothing). */
function between(text: string, src: string, dst: string): string {
    const line = text.split("\n").find((candidate) => candidate.startsWith(`${src} => ${dst} : `));
    return line === undefined ? "" : line.slice(`${src} => ${dst} : `.length);
}

const [probe, web, db] = ["ops/probe[Pod]", "app/web[Pod]", "app/db[Pod]"];
const allButTcp8080 = "SCTP 1-65535,TCP 1-8079,8081-65535,UDP 1-65535";

describe("ClusterNetworkPolicy: the Admin tier", () => {
    const acceptTcp8080 = { subject: appPods, ingress: [{ name: "probe-http", action: "Accept", from: fromOps, protocols: [{ tcp: { destinationPort: { number: 8080 } } }] }] };
    const denyOps = { subject: appPods, ingress: [{ name: "no-ops", action: "Deny", from: fromOps }] };

    it("runs policies by ascending priority: the first rule matching a port decides it", () => {
        const text = listing([cnp("deny-ops", "Admin", 20, denyOps), cnp("accept-http", "Admin", 10, acceptTcp8080)]);
        assert.strictEqual(between(text, probe, web), "TCP 8080");
        assert.strictEqual(between(text, probe, db), "TCP 8080");
        assert.strictEqual(between(text, db, web), "All Connections", "traffic no rule matches goes on, and is allowed");
        const swapped = listing([cnp("deny-ops", "Admin", 10, denyOps), cnp("accept-http", "Admin", 20, acceptTcp8080)]);
        assert.strictEqual(between(swapped, probe, web), "");
    });

    it("orders equal priorities by name, as Calico does", () => {
        assert.strictEqual(between(listing([cnp("b-deny", "Admin", 5, denyOps), cnp("a-accept", "Admin", 5, acceptTcp8080)]), probe, web), "TCP 8080");
        assert.strictEqual(between(listing([cnp("a-deny", "Admin", 5, denyOps), cnp("b-accept", "Admin", 5, acceptTcp8080)]), probe, web), "");
    });

    it("runs a policy's rules in written order, each on the ports its protocols cover", () => {
        const denyFirst = { subject: appPods, ingress: [{ action: "Deny", from: fromOps, protocols: [{ tcp: { destinationPort: { number: 8080 } } }] }, { action: "Accept", from: fromOps }] };
        assert.strictEqual(between(listing([cnp("rules", "Admin", 1, denyFirst)]), probe, web), allButTcp8080);
        const acceptFirst = { subject: appPods, ingress: [...denyFirst.ingress].reverse() };
        assert.strictEqual(between(listing([cnp("rules", "Admin", 1, acceptFirst)]), probe, web), "All Connections");
    });

    it("lets an Admin Accept override a NetworkPolicy's isolation, and an Admin Deny its allow", () => {
        const isolateWeb: KubeObject = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "web", namespace: "app" }, spec: { podSelector: { matchLabels: { role: "web" } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: "db" } } }] }] } };
        const text = listing([isolateWeb, cnp("accept-http", "Admin", 10, acceptTcp8080)]);
        assert.strictEqual(between(text, probe, web), "TCP 8080");
        assert.strictEqual(between(text, db, web), "All Connections");
        const denyDb = { subject: appPods, ingress: [{ action: "Deny", from: [{ pods: { podSelector: { matchLabels: { role: "db" } } } }] }] };
        assert.strictEqual(between(listing([isolateWeb, cnp("deny-db", "Admin", 10, denyDb)]), db, web), "");
    });
});

describe("ClusterNetworkPolicy: Pass, and the Baseline tier against NetworkPolicy", () => {
    const passOps = { subject: appPods, ingress: [{ name: "to-namespaces", action: "Pass", from: fromOps }] };
    const baselineDenyAll = { subject: appPods, ingress: [{ name: "deny-all", action: "Deny", from: everyNamespace }] };
    const webFromOpsHttp: KubeObject = {
        apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "web", namespace: "app" },
        spec: { podSelector: { matchLabels: { role: "web" } }, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8080 }] }] },
    };

    it("passes to NetworkPolicy, which decides for a pod it isolates, whatever the Baseline tier says", () => {
        const text = listing([cnp("pass", "Admin", 1, passOps), cnp("default", "Baseline", 10, baselineDenyAll), webFromOpsHttp]);
        assert.strictEqual(between(text, probe, web), "TCP 8080", "web is isolated: its NetworkPolicy decides");
        assert.strictEqual(between(text, probe, db), "", "db is not: the Baseline tier decides");
        assert.strictEqual(between(text, db, web), "TCP 8080");
    });

    it("skips the rest of the Admin tier on a Pass, so a later Deny there does not act", () => {
        const denyOps = { subject: appPods, ingress: [{ action: "Deny", from: fromOps }] };
        const text = listing([cnp("pass", "Admin", 1, passOps), cnp("deny", "Admin", 2, denyOps)]);
        assert.strictEqual(between(text, probe, web), "All Connections");
        assert.strictEqual(between(listing([cnp("pass", "Admin", 3, passOps), cnp("deny", "Admin", 2, denyOps)]), probe, web), "");
    });

    it("allows what a Baseline Pass passes, skipping later Baseline rules", () => {
        const baselinePass = { subject: appPods, ingress: [{ action: "Pass", from: fromOps }] };
        const text = listing([cnp("pass", "Baseline", 1, baselinePass), cnp("default", "Baseline", 10, baselineDenyAll)]);
        assert.strictEqual(between(text, probe, web), "All Connections");
        assert.strictEqual(between(text, db, web), "");
    });

    it("decides each direction on its own: a NetworkPolicy isolating ingress leaves egress to the Baseline tier", () => {
        const egressDenyAll = { subject: appPods, egress: [{ action: "Deny", to: everyNamespace }] };
        const webIngressOnly: KubeObject = { ...webFromOpsHttp, spec: { ...(webFromOpsHttp.spec as Spec), policyTypes: ["Ingress"] } };
        const text = listing([cnp("egress", "Baseline", 10, egressDenyAll), webIngressOnly]);
        assert.strictEqual(between(text, web, db), "");
        assert.strictEqual(between(text, web, probe), "");
        assert.strictEqual(between(text, probe, web), "TCP 8080");
        const webEgressToDb: KubeObject = {
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "web-out", namespace: "app" },
            spec: { podSelector: { matchLabels: { role: "web" } }, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: { matchLabels: { role: "db" } } }] }] },
        };
        const isolated = listing([cnp("egress", "Baseline", 10, egressDenyAll), webEgressToDb]);
        assert.strictEqual(between(isolated, web, db), "All Connections", "web's egress is isolated: its NetworkPolicy decides");
        assert.strictEqual(between(isolated, db, web), "", "db's egress is not: the Baseline tier denies it");
    });
});

describe("ClusterNetworkPolicy: protocols, named ports, networks", () => {
    it("matches port ranges and numbers per protocol", () => {
        const ports = { subject: appPods, ingress: [
            { action: "Accept", from: fromOps, protocols: [{ sctp: { destinationPort: { range: { start: 100, end: 200 } } } }, { udp: { destinationPort: { number: 53 } } }] },
            { action: "Deny", from: fromOps },
        ] };
        assert.strictEqual(between(listing([cnp("ports", "Admin", 1, ports)]), probe, db), "SCTP 100-200,UDP 53");
    });

    it("resolves a destinationNamedPort on the destination pod, with the protocol it declares", () => {
        const named = { subject: appPods, ingress: [{ action: "Accept", from: fromOps, protocols: [{ destinationNamedPort: "dns" }] }, { action: "Deny", from: fromOps }] };
        const text = listing([cnp("named", "Admin", 1, named)]);
        assert.strictEqual(between(text, probe, web), "UDP 53");
        assert.strictEqual(between(text, probe, db), "", "db has no port named dns");
        const fromWeb = { subject: { pods: { podSelector: { matchLabels: { role: "probe" } } } }, egress: [
            { action: "Accept", to: [{ pods: { podSelector: {} } }, { networks: ["0.0.0.0/0"] }], protocols: [{ destinationNamedPort: "http" }] },
            { action: "Deny", to: [{ namespaces: {} }, { networks: ["0.0.0.0/0"] }] },
        ] };
        const egress = listing([cnp("probe-out", "Admin", 1, fromWeb)]);
        assert.strictEqual(between(egress, probe, web), "TCP 8080", "the egress rule's named port is the destination's");
        assert.strictEqual(between(egress, probe, "0.0.0.0-255.255.255.255[External]"), "", "an address outside the cluster has no named port");
    });

    it("cuts External by IPv4 and IPv6 networks, which match addresses outside the cluster only", () => {
        const webOut = { subject: { pods: { namespaceSelector: { matchLabels: { team: "app" } }, podSelector: { matchLabels: { role: "web" } } } }, egress: [
            { name: "https-out", action: "Accept", to: [{ networks: ["2001:db8::/32", "10.1.2.3/8"] }], protocols: [{ tcp: { destinationPort: { number: 443 } } }] },
            { name: "nothing-else", action: "Deny", to: [{ networks: ["::/0", "0.0.0.0/0"] }] },
        ] };
        const text = listing([cnp("web-out", "Admin", 1, webOut)]);
        const fromWeb = text.split("\n").filter((line) => line.startsWith(`${web} => `) && line.includes("[External]"));
        assert.deepStrictEqual(fromWeb, [
            `${web} => 10.0.0.0-10.255.255.255[External] : TCP 443`,
            `${web} => 2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External] : TCP 443`,
        ]);
        assert.strictEqual(between(text, web, db), "All Connections", "0.0.0.0/0 and ::/0 match no pod: pod addresses are not in manifests");
        assert.strictEqual(between(text, db, "2001:db9::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]"), "All Connections", "the IPv6 space is listed for every pod");
    });
});

describe("ClusterNetworkPolicy: workload groups", () => {
    it("tells apart workloads that differ only in a label a ClusterNetworkPolicy peer reads", () => {
        const deployments = `${cluster}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: front, namespace: app}
spec: {selector: {matchLabels: {role: api, tier: front}}, template: {metadata: {labels: {role: api, tier: front}}, spec: {containers: [{name: c}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: back, namespace: app}
spec: {selector: {matchLabels: {role: api, tier: back}}, template: {metadata: {labels: {role: api, tier: back}}, spec: {containers: [{name: c}]}}}
`;
        const noFront = { subject: appPods, ingress: [{ action: "Deny", from: [{ pods: { podSelector: { matchLabels: { tier: "front" } } } }] }] };
        const text = listing([cnp("no-front", "Admin", 1, noFront)], deployments);
        assert.strictEqual(between(text, "app/front[Deployment]", db), "");
        assert.strictEqual(between(text, "app/back[Deployment]", db), "All Connections");
    });
});

describe("ClusterNetworkPolicy in Calico's tiers, beside Calico policies", () => {
    const baselineDenyAll = { subject: appPods, ingress: [{ name: "deny-all", action: "Deny", from: everyNamespace }] };
    const calicoPolicy = (rules: Spec[]): KubeObject => ({
        apiVersion: "projectcalico.org/v3", kind: "GlobalNetworkPolicy", metadata: { name: "web-in" },
        spec: { selector: "role == 'web'", types: ["Ingress"], ingress: rules },
    });
    const calicoListing = (extra: readonly KubeObject[]) => formatConnections(calicoConnectivity([...parseManifests(cluster, "cluster.yaml"), ...extra]));

    it("lets a default-tier Calico policy that applies to a pod decide its traffic, so kube-baseline never acts for it", () => {
        const text = calicoListing([cnp("default", "Baseline", 10, baselineDenyAll), calicoPolicy([{ action: "Allow" }])]);
        assert.strictEqual(between(text, probe, web), "All Connections", "the default tier allowed it: the Baseline Deny is never reached");
        assert.strictEqual(between(text, db, web), "All Connections");
        assert.strictEqual(between(text, probe, db), "", "db: no default-tier policy applies, so kube-baseline denies");
        // Without the Calico policy, Kubernetes' order (no NetworkPolicy isolates web) lets the Baseline tier deny.
        assert.strictEqual(between(listing([cnp("default", "Baseline", 10, baselineDenyAll)]), probe, web), "");
    });

    it("hands what a default-tier Pass passes to kube-baseline, and what the tier leaves to its Deny", () => {
        const text = calicoListing([cnp("default", "Baseline", 10, baselineDenyAll), calicoPolicy([{ action: "Pass", source: { namespaceSelector: "kubernetes.io/metadata.name == 'ops'" } }])]);
        assert.strictEqual(between(text, probe, web), "", "passed to kube-baseline, which denies");
        assert.strictEqual(between(text, db, web), "", "denied at the end of the default tier");
        // What kube-baseline passes on reaches the pod's profiles, which allow it: found through the default tier's Pass rule.
        const denyDb = { subject: appPods, ingress: [{ action: "Deny", from: [{ pods: { podSelector: { matchLabels: { role: "db" } } } }] }] };
        const passed = calicoListing([cnp("no-db", "Baseline", 10, denyDb), calicoPolicy([{ action: "Pass", source: { namespaceSelector: "kubernetes.io/metadata.name == 'ops'" } }])]);
        assert.strictEqual(between(passed, probe, web), "All Connections");
        assert.strictEqual(between(passed, db, web), "");
    });

    it("runs kube-admin before the default tier, and names the ClusterNetworkPolicy and its rule in explanations", () => {
        const denyOps = { subject: appPods, ingress: [{ name: "no-ops", action: "Deny", from: fromOps }] };
        const objects = [...parseManifests(cluster, "cluster.yaml"), cnp("guard", "Admin", 7, denyOps), calicoPolicy([{ action: "Allow" }])];
        const text = formatConnections(calicoConnectivity(objects));
        assert.strictEqual(between(text, probe, web), "");
        assert.strictEqual(between(text, db, web), "All Connections");
        const explain = flowExplainer(objects);
        assert.strictEqual(explain(probe, web).layer4,
            `egress of ${probe}: no policy selects it, so Profile kns.ops allows everything; ingress of ${web}: everything denied by ClusterNetworkPolicy guard rule 1 (no-ops) in tier kube-admin`);
        assert.match(explain(db, web).layer4 ?? "", /ingress of app\/web\[Pod\]: everything passed to the next tier at the end of tier kube-admin, everything allowed by GlobalNetworkPolicy web-in rule 1$/);
    });
});

describe("ClusterNetworkPolicy validation beyond the CRD", () => {
    const problemOf = (spec: Spec) => objectProblem(JSON.parse(JSON.stringify(cnp("p", "Admin", 1, spec))));

    it("accepts a policy the CRD accepts and plugins read alike", () => {
        assert.strictEqual(problemOf({ subject: appPods, egress: [{ action: "Deny", to: [{ networks: ["10.0.0.0/8", "fd00::/8"] }], protocols: [{ destinationNamedPort: "http" }] }] }), undefined);
    });

    it("refuses an unknown selector operator, which Calico would drop from the selector", () => {
        assert.match(problemOf({ subject: { namespaces: { matchExpressions: [{ key: "team", operator: "Equals", values: ["app"] }] } } }) ?? "",
            /^spec\.subject\.namespaces\.matchExpressions\[0\]\.operator: must be In, NotIn, Exists or DoesNotExist, found "Equals" \(the CRD leaves label selectors unchecked/);
    });

    it("refuses an empty destinationNamedPort, which Calico reads as every port", () => {
        assert.match(problemOf({ subject: appPods, ingress: [{ action: "Deny", from: fromOps, protocols: [{ destinationNamedPort: "" }] }] }) ?? "",
            /^spec\.ingress\[0\]\.protocols\[0\]\.destinationNamedPort: "" is not a valid port name .*; Calico reads an empty name as every port of every protocol$/);
    });

    it("refuses a CIDR given twice in networks, a set", () => {
        assert.strictEqual(problemOf({ subject: appPods, egress: [{ action: "Deny", to: [{ networks: ["10.0.0.0/8", "10.0.0.0/8"] }] }] }),
            'spec.egress[0].to[0].networks[1]: Duplicate value: "10.0.0.0/8" (networks is a set; give each CIDR once)');
    });
});
