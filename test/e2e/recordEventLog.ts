import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { eventLogEnv, readEngineEvents, withEventLog } from "../harness/eventLog";
import { PulumiCli } from "./pulumiCli";
import { configValues, writeStackConfig } from "./stackFiles";

/**
 * Records test/fixtures/guardrails-to-calico.events.jsonl, the engine event log of a
 * real `pulumi up` that the fast tier's ordering tests read: the dev stack rendered (no cluster,
 * no charts) in clusterNetworkPolicy mode, then switched back to Calico guardrails, so that one
 * update creates the Calico policies, updates the provider, keeps the rest and deletes the
 * ClusterNetworkPolicies. Run it again when the engine's event format changes:
 *     node -r ts-node/register/transpile-only test/e2e/recordEventLog.ts
 * It keeps the resource events as the engine wrote them, less what the tests do not read and
 * must not hold: diagnostics (the SDK's debug lines print resource outputs, secrets included),
 * resource outputs, and the copy of the metadata in each step's outputs event.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-event-log-"));
const stack = "event-log";
const calico = configValues("dev");
calico["ztmesh:cluster"] = { renderDirectory: path.join(work, "rendered") };
delete calico["ztmesh:gateway"].crdsSource;
const clusterNetworkPolicy = { ...calico, "ztmesh:baseline": { clusterPolicy: "clusterNetworkPolicy" } };
const cli = (name: string, config: Record<string, any>) => new PulumiCli(path.join(work, "state"), stack, writeStackConfig(path.join(work, `Pulumi.${stack}-${name}.yaml`), config), eventLogEnv);
const log = path.join(work, "events.jsonl");
try {
    fs.mkdirSync(path.join(work, "state"));
    cli("calico", calico).ok(["stack", "init"]);
    cli("cnp", clusterNetworkPolicy).ok(["up", "--yes", "--skip-preview"]);
    cli("calico", calico).ok(withEventLog(["up", "--yes", "--skip-preview"], log));
    const kept = readEngineEvents(log).flatMap((event) => {
        const step = event.resourcePreEvent ?? event.resOutputsEvent;
        if (!step) {
            return [];
        }
        const { op, urn, type, old, new: next } = step.metadata;
        const state = (s: typeof old) => s && { type: s.type, urn: s.urn, inputs: s.inputs };
        const metadata = event.resourcePreEvent ? { op, urn, type, old: state(old), new: state(next) } : { op, urn, type };
        return [JSON.stringify({ sequence: event.sequence, [event.resourcePreEvent ? "resourcePreEvent" : "resOutputsEvent"]: { metadata } })];
    });
    fs.writeFileSync(path.join(__dirname, "..", "fixtures", "guardrails-to-calico.events.jsonl"), `${kept.join("\n")}\n`);
} finally {
    cli("calico", calico).run(["stack", "rm", "--yes", "--force"]);
    fs.rmSync(work, { recursive: true, force: true });
}
