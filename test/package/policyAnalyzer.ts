/**
 * An installed policy pack, served as the Pulumi CLI serves it for `pulumi preview --policy-pack`
 * and `pulumi policy publish`: the CLI's `pulumi-analyzer-policy` plugin runs
 * `node node_modules/@pulumi/pulumi/cmd/run-policy-pack <engine-address> .` in the pack's folder,
 * which requires the pack's `main` and prints the port of the pack's Analyzer gRPC server on its
 * first line of stdout. Here the test plays the engine: it starts the pack that way and calls
 * the Analyzer methods the CLI calls (GetAnalyzerInfo when publishing, AnalyzeStack at preview).
 */
import * as grpc from "@grpc/grpc-js";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzerResource, AnalyzerResourceOptions, AnalyzeStackRequest, EnforcementLevel } from "@pulumi/pulumi/proto/analyzer_pb";
import type { RecordedResource } from "../../stacks/offline";
import type { Violation } from "../harness/policyPack";
import { childEnv } from "./commands";

/**
 * Long enough for the runner to load the pack on a busy machine: from sources, ts-node
 * type-checks the pack and the engine first (about 25 s on a quiet machine).
 */
const startTimeoutMs = 300_000;

const levels: Record<number, Violation["enforcementLevel"]> = {
    [EnforcementLevel.ADVISORY]: "advisory",
    [EnforcementLevel.MANDATORY]: "mandatory",
    [EnforcementLevel.DISABLED]: "disabled",
    [EnforcementLevel.REMEDIATE]: "remediate",
};

/**
 * @pulumi/policy sends a violation as the policy's description, a newline, then what the rule
 * reported (the CLI prints both); the rule's own part is what the harness records.
 */
function ownMessage(description: string, message: string): string {
    return message.startsWith(`${description}\n`) ? message.slice(description.length + 1) : message;
}

export interface AnalyzerInfo {
    name: string;
    version: string;
    policies: string[];
}

export class ServedPack {
    private constructor(private readonly child: ChildProcess, private readonly client: AnalyzerClient) {}

    /**
     * Starts the pack installed in `packDir` with that folder's own @pulumi/pulumi runner, and
     * connects to it. Nothing listens at the engine address: the pack only calls the engine to
     * log, and a failure to log would show as a failed call here.
     */
    static start(packDir: string): Promise<ServedPack> {
        const runner = path.join(packDir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
        const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: packDir, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stderr!.on("data", (chunk) => { stderr += chunk; });
        return new Promise<ServedPack>((resolve, reject) => {
            const fail = (why: string) => {
                child.kill();
                reject(new Error(`the policy runner ${why}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
            };
            const timer = setTimeout(() => fail(`printed no port within ${startTimeoutMs / 1000}s`), startTimeoutMs);
            child.on("exit", (code) => {
                clearTimeout(timer);
                fail(`exited with ${code} before it printed its port`);
            });
            child.stdout!.on("data", (chunk) => {
                stdout += chunk;
                const port = /^(\d+)\r?\n/.exec(stdout)?.[1];
                if (port) {
                    clearTimeout(timer);
                    child.removeAllListeners("exit");
                    resolve(new ServedPack(child, new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure())));
                }
            });
        });
    }

    /** What `pulumi policy publish` asks the pack before it packs it: its name, version and rules. */
    info(): Promise<AnalyzerInfo> {
        return new Promise((resolve, reject) => this.client.getAnalyzerInfo(new Empty(), (error, info) => error
            ? reject(error)
            : resolve({ name: info.getName(), version: info.getVersion(), policies: info.getPoliciesList().map((policy) => policy.getName()) })));
    }

    /** The diagnostics of the pack's stack rules on `resources`, as the engine asks at the end of a preview. */
    analyzeStack(resources: readonly RecordedResource[]): Promise<Violation[]> {
        const request = new AnalyzeStackRequest().setResourcesList(resources.map((resource) => new AnalyzerResource()
            .setUrn(resource.urn)
            .setType(resource.type)
            .setName(resource.name)
            .setProperties(Struct.fromJavaScript(resource.inputs))
            .setOptions(new AnalyzerResourceOptions())
            .setParent(resource.parent)
            .setDependenciesList(resource.dependencies)));
        return new Promise((resolve, reject) => this.client.analyzeStack(request, (error, response) => error
            ? reject(error)
            : resolve(response.getDiagnosticsList().map((diagnostic) => ({
                policyName: diagnostic.getPolicyname(),
                message: ownMessage(diagnostic.getDescription(), diagnostic.getMessage()),
                urn: diagnostic.getUrn(),
                enforcementLevel: levels[diagnostic.getEnforcementlevel()],
            })))));
    }

    stop(): void {
        this.client.close();
        this.child.kill();
    }
}
