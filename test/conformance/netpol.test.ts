import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadManifests, ManifestError, parseManifests } from "../../analysis/manifests";
import { connectivity, formatConnections, formatConnectionSet } from "../../analysis/netpol";
import { IntervalSet } from "../../analysis/netpol/intervals";
import { allPorts, ConnectionSet } from "../../analysis/netpol/ports";
import { projectRoot } from "../harness/stackConfig";

/** np-guard/netpol-analyzer's own connlist test cases (shared/conformance, not written by this project). */
const casesRoot = path.resolve(projectRoot, "..", "shared", "conformance", "netpol");
const cases = fs.readdirSync(casesRoot, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();

/** The first differing lines, with a little context, so a failure reads without a 20,000-line dump. */
function firstDifference(actual: string, expected: string): string {
    const actualLines = actual.split("\n");
    const expectedLines = expected.split("\n");
    const at = expectedLines.findIndex((line, i) => line !== actualLines[i]);
    const first = at < 0 ? expectedLines.length : at;
    const show = (lines: string[]) => lines.slice(first, first + 5).map((line) => `    ${line}`).join("\n");
    return `first difference at line ${first + 1} (${actualLines.length} lines computed, ${expectedLines.length} expected)\n  expected:\n${show(expectedLines)}\n  computed:\n${show(actualLines)}`;
}

/**
 * strictEqual on the whole text. The message travels as an error of its own because Node
 * ignores a message string when both texts are too long to print apart.
 */
function assertSameText(actual: string, expected: string): void {
    assert.strictEqual(actual, expected, actual === expected ? undefined : new assert.AssertionError({ message: firstDifference(actual, expected) }));
}

describe("NetworkPolicy connectivity conformance (np-guard/netpol-analyzer connlist outputs)", () => {
    it("has the upstream cases", () => {
        assert.ok(cases.length >= 30, `found ${cases.length} cases in ${casesRoot}`);
    });

    for (const name of cases) {
        it(name, () => {
            const expected = fs.readFileSync(path.join(casesRoot, name, "expected.txt"), "utf8");
            const actual = formatConnections(connectivity(loadManifests(path.join(casesRoot, name, "input"))));
            assertSameText(actual, expected);
        });
    }
});

/**
 * Corners that the upstream cases leave out, with outputs worked out by hand from the
 * Kubernetes semantics: NotIn and DoesNotExist on an absent label, a named port (resolved on
 * the destination pod, and meaning nothing towards External), endPort, and External ranges cut
 * by an ipBlock's except.
 */
describe("NetworkPolicy connectivity beyond the upstream cases", () => {
    const cluster = `
kind: Namespace
metadata: {name: a}
---
kind: PodList
items:
- metadata: {name: x, namespace: a, labels: {app: x}}
- metadata: {name: y, namespace: a, labels: {app: y}}
  spec: {containers: [{name: c, ports: [{name: web, containerPort: 8080}]}]}
- metadata: {name: z, namespace: a}
---
kind: NetworkPolicy
metadata: {name: into-y, namespace: a}
spec:
  podSelector: {matchLabels: {app: y}}
  ingress:
  - from: [{podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [x]}]}}]
    ports: [{port: web}, {port: 9000, endPort: 9002, protocol: UDP}]
---
kind: NetworkPolicy
metadata: {name: out-of-unlabelled, namespace: a}
spec:
  podSelector: {matchExpressions: [{key: app, operator: DoesNotExist}]}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: web}]
  - to: [{podSelector: {matchLabels: {app: y}}}]
    ports: [{port: web}]
`;
    const toEveryEgressRange = (source: string) => ["0.0.0.0-9.255.255.255", "10.0.0.0-10.0.255.255", "10.1.0.0-10.1.255.255", "10.2.0.0-10.255.255.255", "11.0.0.0-255.255.255.255"]
        .map((range) => `${source} => ${range}[External] : All Connections`);

    it("applies selectors, named ports, endPort and ipBlock except as Kubernetes does", () => {
        const expected = [
            "0.0.0.0-255.255.255.255[External] => a/x[Pod] : All Connections",
            "0.0.0.0-255.255.255.255[External] => a/z[Pod] : All Connections",
            ...toEveryEgressRange("a/x[Pod]"),
            "a/x[Pod] => a/z[Pod] : All Connections",
            ...toEveryEgressRange("a/y[Pod]"),
            "a/y[Pod] => a/x[Pod] : All Connections",
            "a/y[Pod] => a/z[Pod] : All Connections",
            "a/z[Pod] => a/y[Pod] : TCP 8080",
        ].map((line) => `${line}\n`).join("");
        assertSameText(formatConnections(connectivity(parseManifests(cluster, "cluster.yaml"))), expected);
    });

    it("spells out protocols in name order with merged port ranges", () => {
        const allBut53 = IntervalSet.of([{ start: 1, end: 52 }, { start: 54, end: 65535 }]);
        const connections = ConnectionSet.of("UDP", allBut53).union(ConnectionSet.of("TCP", allPorts)).union(ConnectionSet.of("SCTP", allPorts));
        assert.strictEqual(formatConnectionSet(connections), "SCTP 1-65535,TCP 1-65535,UDP 1-52,54-65535");
        assert.strictEqual(formatConnectionSet(connections.union(ConnectionSet.of("UDP", IntervalSet.range(53, 53)))), "All Connections");
    });

    it("cuts IPv6 blocks beside IPv4 ones (dual stack), listing IPv6 External ranges only where policies name IPv6", () => {
        const dualStack = `
kind: Pod
metadata: {name: web, namespace: a}
---
kind: NetworkPolicy
metadata: {name: in, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8}}, {ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:1::/48"]}}]
    ports: [{port: 443}]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
`;
        assertSameText(formatConnections(connectivity(parseManifests(dualStack, "cluster.yaml"))), [
            "10.0.0.0-10.255.255.255[External] => a/web[Pod] : TCP 443",
            "2001:db8:2::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External] => a/web[Pod] : TCP 443",
            "2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff[External] => a/web[Pod] : TCP 443",
            // Egress names no IPv6 block, so only the IPv4 space is listed, as for any IPv4-only policy.
            "a/web[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        ].map((line) => `${line}\n`).join(""));
        const ipv6Egress = dualStack.replace("cidr: 0.0.0.0/0", 'cidr: "::/0"');
        assert.deepStrictEqual(formatConnections(connectivity(parseManifests(ipv6Egress, "cluster.yaml"))).split("\n").filter((line) => line.startsWith("a/web")), [
            "a/web[Pod] => ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External] : All Connections",
        ]);
    });

    it("names the policy that does not compile", () => {
        const policy = "kind: NetworkPolicy\nmetadata: {name: bad, namespace: a}\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}\n";
        assert.throws(() => connectivity(parseManifests(policy, "bad.yaml")), { message: 'NetworkPolicy a/bad: "10.0.0.0/33" is not a CIDR (IPv4 a.b.c.d/n or IPv6 x:y::z/n)' });
    });
});

describe("manifest loading", () => {
    it("flattens multi-document YAML, List and <Kind>List, and skips empty documents", () => {
        const objects = parseManifests([
            "---",
            "kind: Namespace\nmetadata: {name: a}",
            "---",
            "kind: PodList\nitems:\n- metadata: {name: p1}\n- metadata: {name: p2}",
            "---",
            "kind: List\nitems:\n- kind: Service\n  metadata: {name: s}",
        ].join("\n"), "mixed.yaml");
        assert.deepStrictEqual(objects.map((object) => `${object.kind}/${object.metadata?.name}`), ["Namespace/a", "Pod/p1", "Pod/p2", "Service/s"]);
    });

    it("reads JSON files", () => {
        assert.deepStrictEqual(parseManifests('{\n\t"kind": "Pod",\n\t"metadata": {"name": "p"}\n}', "pod.json").map((object) => object.kind), ["Pod"]);
    });

    it("names the file, the document and the position of a YAML syntax error", () => {
        assert.throws(
            () => parseManifests("kind: Pod\n---\nkind: Service\nspec: [1,\n  a: b: c\n", "broken.yaml"),
            (error: unknown) => error instanceof ManifestError && error.file === "broken.yaml" && /^broken\.yaml: document 2: .*line \d+, column \d+/.test(error.message),
        );
    });

    it("names the list item that has no kind", () => {
        assert.throws(
            () => parseManifests("kind: List\nitems:\n- kind: Pod\n- metadata: {name: orphan}\n", "list.yaml"),
            { message: 'list.yaml: document 1, List item 2 (name "orphan"): object has no "kind"' },
        );
    });

    it("skips a document that is no Kubernetes object, with a warning naming the file", () => {
        const warnings: string[] = [];
        assert.deepStrictEqual(parseManifests("- a\n- b\n---\nconnlist: []\n", "seq.yaml", (message) => warnings.push(message)), []);
        assert.deepStrictEqual(warnings, [
            "seq.yaml: document 1 is not a Kubernetes object (a list); skipped",
            "seq.yaml: document 2 is not a Kubernetes object (no apiVersion or kind); skipped",
        ]);
    });

    it("rejects a list item that is not an object", () => {
        assert.throws(() => parseManifests("kind: List\nitems: [a]\n", "list.yaml"), { message: 'list.yaml: document 1, List item 1: expected a Kubernetes object (a mapping), found a string' });
    });

    it("names the file when loading a folder", () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-manifests-"));
        try {
            fs.writeFileSync(path.join(folder, "a.yaml"), "kind: Namespace\nmetadata: {name: ok}\n");
            fs.writeFileSync(path.join(folder, "b.json"), '{"kind": "Pod", "metadata": {"name": "x"}');
            fs.writeFileSync(path.join(folder, "notes.txt"), "not a manifest: [");
            assert.throws(() => loadManifests(folder), (error: unknown) => error instanceof ManifestError && error.file === path.join(folder, "b.json"));
            fs.rmSync(path.join(folder, "b.json"));
            assert.deepStrictEqual(loadManifests(folder).map((object) => object.kind), ["Namespace"]);
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });
});
