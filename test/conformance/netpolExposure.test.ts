import * as assert from "assert";
import * as path from "path";
import { exposure } from "../../analysis/exposure/exposure";
import { formatList, ListFormat } from "../../analysis/formats/connlist";
import { FocusOptions, focusList } from "../../analysis/formats/focus";
import { loadManifests, parseManifests } from "../../analysis/manifests";
import { clusterFromObjects } from "../../analysis/netpol/workloads";
import { reachability } from "../../analysis/reach";
import { assertSameText, caseFlags, caseNames, conformanceFolder, expectedFiles } from "./conformanceText";

/** np-guard/netpol-analyzer's `list --exposure` outputs (../shared/conformance/netpol-exposure). */
const root = conformanceFolder("netpol-exposure");

describe("netpol-analyzer exposure analysis (conformance)", () => {
    it("has the upstream cases", () => {
        assert.strictEqual(caseNames(root).length, 12);
    });

    for (const name of caseNames(root)) {
        const folder = path.join(root, name);
        for (const [format, expected] of expectedFiles(folder)) {
            it(`${name} (${format})`, () => {
                const objects = loadManifests(path.join(folder, "input"));
                const flags = caseFlags(folder);
                assert.ok(flags.exposure, "every case here runs with --exposure");
                const list = focusList(reachability(objects), clusterFromObjects(objects).workloads, flags);
                assertSameText(formatList(list, { output: format as ListFormat, exposure: exposure(objects, flags) }), expected);
            });
        }
    }
});

/**
 * Corners the upstream cases leave out, worked out from netpol-analyzer's rules (see
 * analysis/exposure/exposure.ts): named ports, a rule that admits the whole cluster beside a
 * pod selector, and the focus options.
 */
describe("exposure analysis beyond the upstream cases", () => {
    const objects = parseManifests(`
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
---
kind: NetworkPolicy
metadata: {name: web, namespace: a}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {role: x}}}, {namespaceSelector: {}}]
    ports: [{port: http}]
  - from: [{namespaceSelector: {matchLabels: {team: t}}}]
    ports: [{port: 443}]
  egress:
  - to: [{namespaceSelector: {}}]
    ports: [{port: http}]
`, "cluster.yaml");
    const text = (options: FocusOptions) => formatList(focusList(reachability(objects), clusterFromObjects(objects).workloads, options), { exposure: exposure(objects, options) });

    it("resolves named ports on the workload for ingress, keeps them names towards the cluster, and reports a selector only where its ports differ", () => {
        assertSameText(text({}), [
            "Exposure Analysis Result:",
            "Egress Exposure:",
            "a/web[Pod] \t=> \tentire-cluster : TCP http",
            "",
            "Ingress Exposure:",
            // role=x shares its rule with `namespaceSelector: {}`, which says it all; team=t gets 443 beside.
            "a/web[Pod] \t<= \t[namespace with {team=t}]/[all pods] : TCP 443,8080",
            "a/web[Pod] \t<= \tentire-cluster : TCP 8080",
            "",
        ].join("\n"));
    });

    it("keeps one direction with --focus-direction", () => {
        assertSameText(text({ focusworkload: ["web"], focusDirection: "egress" }), "Exposure Analysis Result:\nEgress Exposure:\na/web[Pod] \t=> \tentire-cluster : TCP http\n");
    });

    it("with --focus-conn, lists what is open on that connection: the whole cluster if it is, else the selectors", () => {
        assertSameText(text({ focusConn: "tcp-443" }), "Permitted connections on TCP 443:\n\nExposure Analysis Result On TCP 443:\nIngress Exposure:\na/web[Pod] \t<= \t[namespace with {team=t}]/[all pods]\n");
        assertSameText(text({ focusConn: "tcp-8080" }), "Permitted connections on TCP 8080:\n\nExposure Analysis Result On TCP 8080:\nIngress Exposure:\na/web[Pod] \t<= \tentire-cluster\n");
    });
});
