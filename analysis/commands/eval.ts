/**
 * `ztmesh eval`: may this source connect to this destination on this port (and, at a meshed
 * destination, send this request)? One verdict line in netpol-analyzer's words, "default/b =>
 * default/c over tcp/80: true", then (unless -q) the explanation. netpol-analyzer's spelling
 * (`eval -s POD -n NS -d POD --destination-namespace NS -p PORT --protocol P --source-ip IP
 * --destination-ip IP --dirpath DIR`, and its command names `evaluate`, `check`, `allow`) runs
 * unchanged beside ztmesh's (`--source NS/NAME`, `--destination NS/NAME`, files as arguments).
 *
 * Exit codes: 0 allowed, 3 denied, 2 bad usage or input (a manifest that cannot be read, a peer
 * the manifests do not hold), 1 unexpected failure. netpol-analyzer's eval exits 0 with either
 * verdict (and 1 on any error), so a script must parse the line; here `if ztmesh eval ...` branches
 * on the verdict, and as every failure is non-zero too, such a script fails closed. 3 rather
 * than 1, so that a denial is never taken for a crash.
 */
import { Command, Option } from "commander";
import type { ConnectionQuery, PeerQuery } from "../eval/evaluate";
import { Warn } from "../manifests";
import { parseAddress } from "../netpol/ipRanges";
import { Protocol, protocols } from "../netpol/ports";
import { reachability } from "../reach";
import { escapeControl } from "../text/escape";
import { failureExitCode, inChosenView, namingFailingFile, readInput } from "./analysedInput";
import { addInputOptions, InputFlags, readChoice } from "./inputOptions";
import { Io } from "./io";
import { commandPrefix, reportingTo, UsageError } from "./usage";

/** The exit codes of the two verdicts. */
export const evalExitCodes = { allowed: 0, denied: 3 } as const;

interface EvalFlags extends InputFlags {
    readonly source?: string;
    readonly destination?: string;
    readonly sourcePod?: string;
    readonly sourceNamespace?: string;
    readonly destinationPod?: string;
    readonly destinationNamespace?: string;
    readonly sourceIp?: string;
    readonly destinationIp?: string;
    readonly destinationPort?: string;
    readonly port?: string;
    readonly protocol: string;
    readonly method?: string;
    readonly path?: string;
}

export function evalCommand(io: Io, done: (code: number) => void): Command {
    const command = reportingTo(new Command("eval"), io)
        .aliases(["evaluate", "check", "allow"])
        .usage(`<dir-or-file>... --source NS/NAME|IP --destination NS/NAME|IP --port PORT [--protocol tcp|udp|sctp]
                   [--method METHOD] [--path PATH] [--field-validation strict|warn|ignore] [-q | -v]
       ztmesh eval --dirpath DIR -s POD [-n NS] -d POD [--destination-namespace NS] -p PORT [--protocol P]
                   [--source-ip IP] [--destination-ip IP]`)
        .summary("whether one connection (and, at a meshed destination, one request) is allowed, and why")
        .description(`Evaluates the manifests as ztmesh reach does and answers for one connection, in
netpol-analyzer's words: "default/b => default/c over tcp/80: true" (the protocol and port
as given), then, unless -q, why: how the peers given were mapped, what is allowed between
them and the rules that decided each direction at every layer (NetworkPolicy, Calico tiers
and profiles, Istio AuthorizationPolicy).

A peer is NAMESPACE/NAME of a workload (NAMESPACE/NAME[Kind] where several kinds share the
name) or of a pod, which stands for its workload (a replica for its ReplicaSet), or an IP
address: a pod's status.podIP stands for its workload, any other address for the External
range holding it. The port is a number or the name of a container port of the destination.
At a destination whose proxy enforces AuthorizationPolicy, --method and --path ask about
one HTTP request (either omitted: any); it is allowed when a granted request holds it
without conditions the manifests cannot decide (headers, JWT claims, hosts).

Exit codes: 0 allowed, 3 denied, 2 bad usage or input, 1 unexpected failure
(netpol-analyzer's eval exits 0 with either verdict).`)
        .argument("[dir-or-file...]", "manifest files and folders (YAML or JSON; folders are read recursively)")
        .addOption(new Option("--source <peer>", "the source: NAMESPACE/NAME of a workload or pod, or an IP address"))
        .addOption(new Option("--destination <peer>", "the destination: NAMESPACE/NAME of a workload or pod, or an IP address"))
        .addOption(new Option("-s, --source-pod <name>", "netpol-analyzer's: the source pod (or workload) name"))
        .addOption(new Option("-n, --source-namespace <namespace>", "with -s: its namespace (default: default)"))
        .addOption(new Option("-d, --destination-pod <name>", "netpol-analyzer's: the destination pod (or workload) name"))
        .addOption(new Option("--destination-namespace <namespace>", "with -d: its namespace (default: default)"))
        .addOption(new Option("--source-ip <address>", "netpol-analyzer's: the source as an IP address"))
        .addOption(new Option("--destination-ip <address>", "netpol-analyzer's: the destination as an IP address"))
        .addOption(new Option("-p, --destination-port <port>", "the destination port: a number or a container port's name"))
        .addOption(new Option("--port <port>", "the same as --destination-port"))
        .addOption(new Option("--protocol <protocol>", "tcp, udp or sctp (any case; printed as given)").default("tcp"))
        .addOption(new Option("--method <method>", "at a meshed destination: the HTTP method of the request (TCP only)"))
        .addOption(new Option("--path <path>", "at a meshed destination: the HTTP path of the request (TCP only)"))
        .option("--fail", "netpol-analyzer's: stop at the first error (ztmesh always does; accepted so that its scripts run unchanged)");
    addInputOptions(command);
    return command.action(async (paths: string[], flags: EvalFlags) => done(await runEval(command, paths, flags, io)));
}

/** A source or destination from its three spellings, exactly one given; `text` is how the verdict line names it. */
function peerOf(side: "source" | "destination", given: { peer?: string; pod?: string; namespace?: string; ip?: string }, podFlag: string, namespaceFlag: string): { query: PeerQuery; text: string } {
    const spellings = [given.peer, given.pod, given.ip].filter((value) => value !== undefined);
    if (spellings.length !== 1) {
        throw new UsageError(spellings.length === 0
            ? `no ${side} given: --${side} NAMESPACE/NAME|IP, ${podFlag} POD [${namespaceFlag} NS] or --${side}-ip IP`
            : `give the ${side} once: --${side}, ${podFlag} and --${side}-ip are three spellings of it`);
    }
    if (given.namespace !== undefined && given.pod === undefined) {
        throw new UsageError(`${namespaceFlag} goes with ${podFlag}; --${side} takes NAMESPACE/NAME`);
    }
    if (given.ip !== undefined) {
        return { query: { kind: "address", address: given.ip }, text: given.ip };
    }
    if (given.pod !== undefined) {
        const namespace = given.namespace ?? "default";
        return { query: { kind: "name", namespace, name: given.pod }, text: `${namespace}/${given.pod}` };
    }
    const text = given.peer!;
    if (parseAddress(text) !== undefined) {
        return { query: { kind: "address", address: text }, text };
    }
    const match = /^(?:([^/[\]]+)\/)?([^/[\]]+)(?:\[([A-Za-z]+)\])?$/.exec(text);
    if (!match) {
        throw new UsageError(`--${side} ${JSON.stringify(text)}: give NAMESPACE/NAME, NAMESPACE/NAME[Kind] or an IP address`);
    }
    const query: PeerQuery = { kind: "name", namespace: match[1] ?? "default", name: match[2], ...(match[3] ? { workloadKind: match[3] } : {}) };
    return { query, text: match[1] === undefined ? evalEngine().describeQuery(query) : text };
}

/** The connection the flags ask about, and how the verdict line names its peers. */
function connectionQuery(flags: EvalFlags): { query: ConnectionQuery; srcText: string; dstText: string } {
    const src = peerOf("source", { peer: flags.source, pod: flags.sourcePod, namespace: flags.sourceNamespace, ip: flags.sourceIp }, "-s/--source-pod", "-n/--source-namespace");
    const dst = peerOf("destination", { peer: flags.destination, pod: flags.destinationPod, namespace: flags.destinationNamespace, ip: flags.destinationIp }, "-d/--destination-pod", "--destination-namespace");
    if (flags.port !== undefined && flags.destinationPort !== undefined) {
        throw new UsageError("--port and -p/--destination-port are two spellings of the port; give one");
    }
    const port = flags.port ?? flags.destinationPort;
    if (port === undefined) {
        throw new UsageError("no port given: -p/--destination-port PORT (a number or a container port's name)");
    }
    const number = /^[0-9]+$/.test(port) ? Number(port) : undefined;
    if (number !== undefined ? number < 1 || number > 65535 : !/^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(port)) {
        throw new UsageError(`port ${JSON.stringify(port)}: give a number from 1 to 65535 or a container port's name (up to 15 lower-case letters, digits and '-')`);
    }
    const protocol = flags.protocol.toUpperCase() as Protocol;
    if (!protocols.includes(protocol)) {
        throw new UsageError(`--protocol ${JSON.stringify(flags.protocol)}: give tcp, udp or sctp`);
    }
    const asked = flags.method !== undefined || flags.path !== undefined;
    if (asked && protocol !== "TCP") {
        throw new UsageError("--method and --path ask about an HTTP request, which goes over TCP; drop them or --protocol");
    }
    if (flags.path !== undefined && !flags.path.startsWith("/")) {
        throw new UsageError(`--path ${JSON.stringify(flags.path)}: an HTTP path begins with /`);
    }
    const request = asked ? { ...(flags.method !== undefined ? { method: flags.method } : {}), ...(flags.path !== undefined ? { path: flags.path } : {}) } : undefined;
    return { query: { src: src.query, dst: dst.query, protocol, port, ...(request ? { request } : {}) }, srcText: src.text, dstText: dst.text };
}

/** The eval engine, loaded when `ztmesh eval` runs rather than with the command line: `ztmesh reach` never needs it. */
function evalEngine(): typeof import("../eval/evaluate") {
    return require("../eval/evaluate") as typeof import("../eval/evaluate");
}

async function runEval(command: Command, args: readonly string[], flags: EvalFlags, io: Io): Promise<number> {
    const prefix = commandPrefix(command);
    try {
        const choice = readChoice(args, flags);
        const { paths, options, verbosity } = choice;
        const { query, srcText, dstText } = connectionQuery(flags);
        const warn: Warn = verbosity === "quiet" ? () => undefined : (message) => io.stderr(`${prefix}: warning: ${escapeControl(message)}\n`);
        const input = inChosenView(choice, readInput(paths, warn, options, verbosity === "verbose" ? (line) => io.stderr(`${prefix}: ${escapeControl(line)}\n`) : undefined));
        input.notEvaluated.forEach(warn);
        const flows = namingFailingFile(input.entries, () => reachability(input.objects), (object) => reachability([object]));
        const verdict = evalEngine().evaluateConnection(input.objects, query, flows);
        const request = query.request === undefined ? "" : ` ${query.request.method ?? "*"} ${query.request.path ?? "*"}`;
        io.stdout(`${escapeControl(srcText)} => ${escapeControl(dstText)} over ${escapeControl(flags.protocol)}/${query.port}${escapeControl(request)}: ${verdict.allowed}\n`);
        if (verbosity !== "quiet") {
            const { verdictExplainer } = require("../eval/explanation") as typeof import("../eval/explanation");
            io.stdout(verdictExplainer(input.objects)(verdict, query).map((line) => `  ${line}\n`).join(""));
        }
        return verdict.allowed ? evalExitCodes.allowed : evalExitCodes.denied;
    } catch (error) {
        if (error instanceof evalEngine().PeerError) {
            io.stderr(`${prefix}: ${escapeControl(error.message)}\n`);
            return 2;
        }
        return failureExitCode(command, io, error);
    }
}
