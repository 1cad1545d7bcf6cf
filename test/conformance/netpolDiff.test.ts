import * as assert from "assert";
import * as path from "path";
import { connectivityDiff, DiffSide, diffSides } from "../../analysis/diff/connectivityDiff";
import { DiffFormat, diffToJson, formatDiff } from "../../analysis/diff/format";
import { loadManifests, parseManifests } from "../../analysis/manifests";
import { clusterFromObjects } from "../../analysis/netpol/workloads";
import { reachability } from "../../analysis/reach";
import { cluster, pp, reviews } from "../analysis/istioFixture";
import { assertSameText, caseNames, conformanceFolder, expectedFiles } from "./conformanceText";

/** np-guard/netpol-analyzer's `diff` outputs (../shared/conformance/netpol-diff): dir1 is the original, dir2 the changed side. */
const root = conformanceFolder("netpol-diff");


/**
 * The expected files come from netpol-analyzer's library tests, which call the two sides
 * `ref1`/`ref2`; its CLI (and this project's default) calls them `dir1`/`dir2`. That naming is
 * the only difference (README of the conformance folder), so the test passes the library's names.
 */
const libraryNames = { before: "ref1", after: "ref2" };

describe("netpol-analyzer connectivity diff (conformance)", () => {
    it("has the upstream cases", () => {
        assert.strictEqual(caseNames(root).length, 12);
    });

    for (const name of caseNames(root)) {
        const folder = path.join(root, name);
        for (const [format, expected] of expectedFiles(folder)) {
            it(`${name} (${format})`, () => {
                const diff = connectivityDiff(...diffSides(loadManifests(path.join(folder, "dir1")), loadManifests(path.join(folder, "dir2"))));
                assertSameText(formatDiff(diff, { output: format as DiffFormat, names: libraryNames }), expected);
            });
        }
    }
});

describe("connectivity diff beyond the upstream cases", () => {
    const sideOf = (text: string): DiffSide => {
        const objects = parseManifests(text, "cluster.yaml");
        return { flows: reachability(objects), workloads: clusterFromObjects(objects).workloads };
    };
    const policy = (methods: string) => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: reviews-viewer, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: reviews}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/bookinfo/sa/bookinfo-productpage"]}}]
    to: [{operation: {methods: [${methods}], paths: ["/reviews/*"]}}]
`;
    const getOnly = sideOf(`${cluster}\n---\n${policy("GET")}`);
    const getAndPost = sideOf(`${cluster}\n---\n${policy("GET, POST")}`);

    it("with l7, a change in the requests a flow allows is a change; without, it is not", () => {
        assert.strictEqual(formatDiff(connectivityDiff(getOnly, getAndPost)), "");
        assert.strictEqual(formatDiff(connectivityDiff(getOnly, getAndPost, { l7: true })), [
            "Connectivity diff:",
            `diff-type: changed, source: ${pp}, destination: ${reviews}, dir1: TCP 9080 [GET /reviews/*], dir2: TCP 9080 [GET,POST /reviews/*]`,
            "",
        ].join("\n"));
    });

    it("names the sides dir1 and dir2 by default, as netpol-analyzer's CLI, and writes JSON", () => {
        const before = sideOf("kind: Pod\nmetadata: {name: a, namespace: x}\n---\nkind: Pod\nmetadata: {name: b, namespace: x}\n");
        const after = sideOf("kind: Pod\nmetadata: {name: a, namespace: x}\n---\nkind: Pod\nmetadata: {name: c, namespace: x}\n");
        const diff = connectivityDiff(before, after);
        assert.strictEqual(formatDiff(diff, { output: "csv" }).split("\n")[0], "diff-type,source,destination,dir1,dir2,workloads-diff-info");
        assert.deepStrictEqual(diffToJson(diff).diff.map((pair) => [pair.type, pair.src, pair.dst, pair.newWorkloads ?? pair.lostWorkloads]), [
            ["added", "0.0.0.0-255.255.255.255[External]", "x/c[Pod]", ["x/c[Pod]"]],
            ["added", "x/a[Pod]", "x/c[Pod]", ["x/c[Pod]"]],
            ["added", "x/c[Pod]", "0.0.0.0-255.255.255.255[External]", ["x/c[Pod]"]],
            ["added", "x/c[Pod]", "x/a[Pod]", ["x/c[Pod]"]],
            ["removed", "0.0.0.0-255.255.255.255[External]", "x/b[Pod]", ["x/b[Pod]"]],
            ["removed", "x/a[Pod]", "x/b[Pod]", ["x/b[Pod]"]],
            ["removed", "x/b[Pod]", "0.0.0.0-255.255.255.255[External]", ["x/b[Pod]"]],
            ["removed", "x/b[Pod]", "x/a[Pod]", ["x/b[Pod]"]],
        ]);
    });

    it("draws new peers green and lost ones red in the graph, persistent ones blue", () => {
        const before = sideOf("kind: Pod\nmetadata: {name: a, namespace: x}\n---\nkind: Pod\nmetadata: {name: b, namespace: x}\n");
        const after = sideOf("kind: Pod\nmetadata: {name: a, namespace: x}\n---\nkind: Pod\nmetadata: {name: c, namespace: x}\n");
        const nodes = formatDiff(connectivityDiff(before, after), { output: "dot" }).split("\n").filter((line) => line.startsWith('\t\t"x/') || line.startsWith('\t"0.0'));
        assert.deepStrictEqual(nodes.filter((line) => !line.includes("->")), [
            '\t\t"x/a[Pod]" [label="a[Pod]" color="blue" fontcolor="blue"]',
            '\t\t"x/b[Pod]" [label="b[Pod]" color="red" fontcolor="red"]',
            '\t\t"x/c[Pod]" [label="c[Pod]" color="#008000" fontcolor="#008000"]',
            '\t"0.0.0.0-255.255.255.255[External]" [label="0.0.0.0-255.255.255.255[External]" color="blue" fontcolor="blue"]',
        ]);
    });

    it("does not mark a workload new that existed before without any connection", () => {
        const isolated = "kind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\nspec: {podSelector: {matchLabels: {app: b}}, policyTypes: [Ingress, Egress]}\n";
        const pods = "kind: Pod\nmetadata: {name: a, namespace: x}\n---\nkind: Pod\nmetadata: {name: b, namespace: x, labels: {app: b}}\n";
        const text = formatDiff(connectivityDiff(sideOf(`${pods}---\n${isolated}`), sideOf(pods)));
        assert.ok(text.includes("diff-type: added, source: x/a[Pod], destination: x/b[Pod], dir1: No Connections, dir2: All Connections\n"), text);
        assert.ok(!text.includes("workloads-diff-info"), text);
    });

    it("lists the IPv6 space on both sides when one side's policies name IPv6, so that nothing is added that was allowed before", () => {
        const pods = "kind: Pod\nmetadata: {name: a, namespace: x, labels: {app: a}}\n---\nkind: Pod\nmetadata: {name: b, namespace: x, labels: {app: b}}\n";
        const egress = (app: string, cidr: string) => `---\nkind: NetworkPolicy\nmetadata: {name: out-${app}, namespace: x}\nspec: {podSelector: {matchLabels: {app: ${app}}}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: "${cidr}"}}]}]}\n`;
        const before = parseManifests(`${pods}${egress("a", "10.0.0.0/8")}`, "before.yaml");
        const after = parseManifests(`${pods}${egress("a", "10.0.0.0/8")}${egress("b", "2001:db8::/32")}`, "after.yaml");
        assert.strictEqual(formatDiff(connectivityDiff(...diffSides(before, after))), [
            "Connectivity diff:",
            "diff-type: removed, source: x/b[Pod], destination: 0.0.0.0-255.255.255.255[External], dir1: All Connections, dir2: No Connections",
            "diff-type: removed, source: x/b[Pod], destination: 2001:db9::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External], dir1: All Connections, dir2: No Connections",
            "diff-type: removed, source: x/b[Pod], destination: ::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff[External], dir1: All Connections, dir2: No Connections",
            "diff-type: removed, source: x/b[Pod], destination: x/a[Pod], dir1: All Connections, dir2: No Connections",
            "",
        ].join("\n"));
    });

    it("cuts and merges IPv6 External ranges as IPv4 ones", () => {
        const egress = (cidr: string) => `kind: Pod\nmetadata: {name: a, namespace: x}\n---\nkind: NetworkPolicy\nmetadata: {name: out, namespace: x}\nspec: {podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: "${cidr}"}}]}]}\n`;
        const text = formatDiff(connectivityDiff(sideOf(egress("2001:db8::/32")), sideOf(egress("2001:db8::/33"))));
        assert.strictEqual(text, "Connectivity diff:\ndiff-type: removed, source: x/a[Pod], destination: 2001:db8:8000::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External], dir1: All Connections, dir2: No Connections\n");
    });
});
