import { ChildProcess, spawn, spawnSync } from "child_process";
import * as path from "path";
import { projectRoot } from "../harness/stackConfig";

/** The environment that puts the Pulumi CLI, language host and provider built by scripts/toolchain.sh first. */
export function toolchainEnv(): NodeJS.ProcessEnv {
    const toolchain = path.join(projectRoot, ".toolchain");
    return {
        ...process.env,
        PATH: `${path.join(toolchain, "bin")}:${process.env.PATH}`,
        PULUMI_HOME: process.env.PULUMI_HOME ?? path.join(toolchain, "pulumi-home"),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
}

/** The Pulumi CLI built by scripts/toolchain.sh, run against a throw-away backend. */
export class PulumiCli {
    private readonly started = Date.now();

    constructor(private readonly backendDirectory: string, private readonly stack: string, readonly configFile: string, private readonly extraEnv: NodeJS.ProcessEnv = {}) {}

    private get env(): NodeJS.ProcessEnv {
        return {
            ...toolchainEnv(),
            PULUMI_BACKEND_URL: `file://${this.backendDirectory}`,
            // The throw-away stack's secrets (the dev certificate key) use an empty passphrase.
            PULUMI_CONFIG_PASSPHRASE: "",
            ...this.extraEnv,
        };
    }

    /** Runs `pulumi <args>` in the project for this stack and config file; prints the step and its time. */
    run(args: string[], timeoutMs = 600_000): { status: number | null; output: string } {
        const stepStart = Date.now();
        console.log(`      [e2e +${Math.round((stepStart - this.started) / 1000)}s] pulumi ${args.join(" ")}`);
        const result = spawnSync("pulumi", this.argsFor(args), { cwd: projectRoot, env: this.env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 1 << 26 });
        const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
        console.log(`      [e2e +${Math.round((Date.now() - this.started) / 1000)}s] -> exit ${result.status} in ${Math.round((Date.now() - stepStart) / 1000)}s`);
        return { status: result.status, output };
    }

    /** Starts `pulumi <args>` without waiting for it, for tests that interrupt it. */
    spawn(args: string[]): ChildProcess {
        console.log(`      [e2e +${Math.round((Date.now() - this.started) / 1000)}s] pulumi ${args.join(" ")} (in the background)`);
        return spawn("pulumi", this.argsFor(args), { cwd: projectRoot, env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    }

    private argsFor(args: string[]): string[] {
        const full = [...args, "--stack", this.stack, "--non-interactive"];
        return ["preview", "up", "refresh"].includes(args[0]) ? [...full, "--config-file", this.configFile] : full;
    }

    /** Like `run`, but fails with the command's output when it exits non-zero. */
    ok(args: string[]): string {
        const { status, output } = this.run(args);
        if (status !== 0) {
            throw new Error(`pulumi ${args.join(" ")} exited ${status}:\n${output.slice(-6000)}`);
        }
        return output;
    }
}
