/**
 * `npm run report -- --stack <name> [--output FILE]`: the reachability report of a stack,
 * without a cluster or the Pulumi CLI. The stack program runs offline (offline.ts) on the
 * config of `Pulumi.<name>.yaml`; its Kubernetes objects go through the reachability analysis,
 * and the page compares the flows with the callers each MeshService declares.
 *
 * Offline, a Helm chart is one unexpanded resource, so the workloads and policies that charts
 * install (Calico, istiod, the gateway's Deployment) are not in the picture; the page and the
 * console say so among the report's limits (analysis/report/limits.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { offlineStackConfig, projectRoot, StackFileError } from "./stackFile";

const usage = `Usage: npm run report -- --stack <name> [--output FILE]

Writes the reachability report of the stack Pulumi.<name>.yaml describes (default
reports/<name>.html): who may reach whom at layers 3/4 and 7, and the differences from
the callers each MeshService declares.
`;

/** A problem the user can fix; printed as one message, exit code 2. */
class UsageError extends Error {}

/** The stack config's error, once ./config is loaded (before, no error is one). */
let configErrorType: typeof import("./config").ConfigError | undefined;

async function main(argv: readonly string[]): Promise<number> {
    const { values } = parseArgs({
        args: [...argv],
        options: { stack: { type: "string" }, output: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } },
        strict: true,
    });
    if (values.help) {
        process.stdout.write(usage);
        return 0;
    }
    if (!values.stack) {
        throw new UsageError(`--stack is required\n\n${usage}`);
    }
    const stack = values.stack;
    const started = performance.now();
    const config = offlineStackConfig(stack);
    // Loaded once the arguments and the stack file are read: Pulumi, the components and the
    // analyzer take seconds to load, and a usage error or a missing stack needs none of them.
    const { ConfigError, parseEnvironment } = await import("./config");
    configErrorType = ConfigError;
    const { stackObjects } = await import("./offline");
    const { reachability } = await import("../analysis/reach");
    const { reportModel } = await import("../analysis/report/model");
    const { unexpandedChartsLimit } = await import("../analysis/report/limits");
    const { renderPage } = await import("../analysis/report/page");
    const { consoleSummary } = await import("../analysis/report/words");
    const env = parseEnvironment(config);
    const objects = await stackObjects(env, stack);
    const flows = reachability(objects, { istio: true });
    const model = reportModel(objects, flows, { title: `Reachability of stack ${stack}`, source: `stack ${stack} (Pulumi.${stack}.yaml)`, limits: [unexpandedChartsLimit(stack)] });
    const output = values.output ?? path.join(projectRoot, "reports", `${stack}.html`);
    fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
    fs.writeFileSync(output, renderPage(model));
    process.stdout.write(`wrote ${path.relative(process.cwd(), path.resolve(output))} (${Math.round(performance.now() - started)} ms)\n${consoleSummary(model)}`);
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
        const known = error instanceof UsageError || error instanceof StackFileError || (configErrorType !== undefined && error instanceof configErrorType) || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
        process.stderr.write(`report: ${known ? (error as Error).message : (error as Error).stack ?? String(error)}\n`);
        // The offline runtime keeps handles open, so exit explicitly.
        process.exit(known ? 2 : 1);
    },
);
