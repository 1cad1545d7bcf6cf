import * as assert from "assert";
import * as path from "path";
import { focusList, FocusError } from "../../analysis/formats/focus";
import { formatList, ListFormat } from "../../analysis/formats/connlist";
import { loadManifests, parseManifests } from "../../analysis/manifests";
import { clusterFromObjects } from "../../analysis/netpol/workloads";
import { reachability } from "../../analysis/reach";
import { assertSameText, caseFlags, caseNames, conformanceFolder, expectedFiles } from "./conformanceText";

/** np-guard/netpol-analyzer's `list` outputs in txt, csv, md and dot, with focus flags (../shared/conformance/netpol-list). */
const root = conformanceFolder("netpol-list");

describe("netpol-analyzer list formats and focus (conformance)", () => {
    it("has the upstream cases", () => {
        assert.strictEqual(caseNames(root).length, 5);
    });

    for (const name of caseNames(root)) {
        const folder = path.join(root, name);
        for (const [format, expected] of expectedFiles(folder)) {
            it(`${name} (${format})`, () => {
                const objects = loadManifests(path.join(folder, "input"));
                const { focusworkload, focusDirection } = caseFlags(folder);
                const list = focusList(reachability(objects), clusterFromObjects(objects).workloads, { focusworkload, focusDirection });
                assertSameText(formatList(list, { output: format as ListFormat }), expected);
            });
        }
    }
});

describe("list focus beyond the upstream cases", () => {
    const cluster = parseManifests(`
kind: PodList
items:
- metadata: {name: a, namespace: x, labels: {app: a}}
- metadata: {name: b, namespace: x, labels: {app: b}}
- metadata: {name: a, namespace: y, labels: {app: a}}
---
kind: NetworkPolicy
metadata: {name: only-b, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}], ports: [{port: 80}]}]
`, "cluster.yaml");
    const flows = reachability(cluster);
    const workloads = clusterFromObjects(cluster).workloads;
    const text = (options: Parameters<typeof focusList>[2], output: ListFormat = "txt") => formatList(focusList(flows, workloads, options), { output });

    it("focuses on a name in every namespace, or on namespace/name", () => {
        assert.strictEqual(text({ focusworkload: ["a"] }).split("\n").filter(Boolean).length, 8);
        assert.strictEqual(text({ focusworkload: ["x/a"] }), [
            "x/a[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
            "x/a[Pod] => x/b[Pod] : All Connections",
            "x/a[Pod] => y/a[Pod] : All Connections",
            "x/b[Pod] => x/a[Pod] : TCP 80",
        ].map((line) => `${line}\n`).join(""));
    });

    it("keeps only pairs with a focus workload peer, and one direction", () => {
        assert.strictEqual(text({ focusworkload: ["x/a"], focusworkloadPeer: ["x/b"] }), "x/a[Pod] => x/b[Pod] : All Connections\nx/b[Pod] => x/a[Pod] : TCP 80\n");
        assert.deepStrictEqual(text({ focusworkload: ["x/b"], focusDirection: "egress" }).split("\n").filter(Boolean).map((line) => line.split(" : ")[0]),
            ["x/b[Pod] => 0.0.0.0-255.255.255.255[External]", "x/b[Pod] => x/a[Pod]", "x/b[Pod] => y/a[Pod]"]);
        assert.deepStrictEqual(text({ focusworkload: ["x/b"], focusDirection: "ingress" }).split("\n").filter(Boolean).map((line) => line.split(" : ")[0]),
            ["0.0.0.0-255.255.255.255[External] => x/b[Pod]", "x/a[Pod] => x/b[Pod]", "y/a[Pod] => x/b[Pod]"]);
    });

    it("lists the pairs that allow one connection with --focus-conn", () => {
        const pairs = "x/a[Pod] => 0.0.0.0-255.255.255.255[External]\nx/a[Pod] => x/b[Pod]\nx/a[Pod] => y/a[Pod]\n";
        assert.strictEqual(text({ focusConn: "UDP-53", focusworkload: ["x/a"] }), `Permitted connections on UDP 53:\n${pairs}`);
        assert.strictEqual(text({ focusConn: "tcp-80", focusworkload: ["x/a"], focusDirection: "ingress" }, "csv"), "src,dst\nx/b[Pod],x/a[Pod]\n");
        assert.strictEqual(text({ focusConn: "tcp-80", focusworkload: ["x/a"], focusDirection: "ingress" }, "md"), "| src | dst |\n|-----|-----|\n| x/b[Pod] | x/a[Pod] |\n");
    });

    it("warns about a focus workload that does not exist, and lists nothing when none does", () => {
        const list = focusList(flows, workloads, { focusworkload: ["nope"] });
        assert.deepStrictEqual([list.connections.length, list.warnings[0]], [0, "Workload nope does not exist in the input resources."]);
    });

    it("refuses a bad focus direction or connection, naming the value and the form expected", () => {
        assert.throws(() => focusList(flows, workloads, { focusworkload: ["a"], focusDirection: "both" }), (error: unknown) => error instanceof FocusError && /both.*ingress,egress/.test(error.message));
        assert.throws(() => focusList(flows, workloads, { focusConn: "tcp:80" }), /tcp:80; must be <protocol-port> format/);
        assert.throws(() => focusList(flows, workloads, { focusConn: "icmp-8" }), /unknown protocol: icmp/);
        assert.throws(() => focusList(flows, workloads, { focusConn: "tcp-70000" }), /invalid port number: 70000/);
    });
});
