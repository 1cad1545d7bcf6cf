/**
 * `ztmesh reach <dir-or-file>...`: loads Kubernetes manifests and prints the flows that policy
 * allows (see ../reach.ts), or writes them as a report page. `ztmesh list` (list.ts) is the same
 * command in netpol-analyzer's spelling. Exit codes: 0 success, 1 unexpected failure, 2 bad usage
 * or a manifest or policy that cannot be read.
 */
import { Command, Option } from "commander";
import type { EnforcementImpact } from "../enforcement/impact";
import { exposure } from "../exposure/exposure";
import { ExplainOnly, explainOnlyValues, explainText } from "../explanation/explainList";
import { writeOutputFile } from "../files/outputFile";
import { flowLines, flowsJsonParts, formatPublicRoutes } from "../flowFormat";
import { formatList, ListFormat } from "../formats/connlist";
import { focusList } from "../formats/focus";
import { KubeObject, Warn } from "../manifests";
import { clusterFromObjects } from "../netpol/workloads";
import { Flow, publicFlows, reachability } from "../reach";
import { escapeControl } from "../text/escape";
import { AnalysedInput, choiceSource, failureExitCode, inChosenView, namingFailingFile, readChosenInput } from "./analysedInput";
import { addFocusOptions, FocusChoice, focusChoice, FocusFlags } from "./focusOptions";
import { addInputOptions, InputFlags, readChoice } from "./inputOptions";
import { Io, writeInChunks } from "./io";
import { addOutputOptions, checkedOutputFile, OutputFlag, OutputFlags, outputChoice, OutputFormat } from "./outputOptions";
import { commandPrefix, reportingTo, UsageError } from "./usage";

/** The formats `reach` and `list` write. */
const reachFormats: readonly OutputFormat[] = ["txt", "json", "html", "csv", "md", "dot", "svg"];

export interface ReachFlags extends InputFlags, OutputFlags, FocusFlags {
    readonly l7?: boolean;
    readonly explain?: boolean;
    readonly explainOnly?: ExplainOnly;
    readonly observed?: readonly string[];
}

const reachDescription = `Lists the connections that Kubernetes NetworkPolicy and ClusterNetworkPolicy
(policy.networking.k8s.io/v1alpha2: Admin tier, NetworkPolicy, Baseline tier), Calico
(GlobalNetworkPolicy, NetworkPolicy in their tiers, Tier, Profile, HostEndpoint,
WorkloadEndpoint, NetworkSet, GlobalNetworkSet; with Calico objects, ClusterNetworkPolicies
run in its kube-admin and kube-baseline tiers) and Istio (AuthorizationPolicy,
PeerAuthentication, Sidecar, ServiceEntry, MeshConfig outboundTrafficPolicy) allow between
the workloads in the given manifests (YAML or JSON files, folders read recursively, List
kinds unwrapped), one "SRC => DST : CONNECTIONS" line each.

Istio: sidecars and gateways (istio-proxy "proxy router" pods, Gateway API gateways) call
with their service account's identity. AuthorizationPolicy source identities, ipBlocks,
remoteIpBlocks, ports, methods, paths, hosts and "when" on source.ip, remote.ip,
source.namespace, source.principal, source.serviceAccount, source.trustDomain and
destination.port are evaluated. What depends on
the request (requestPrincipals, request.headers, request.auth.*, destination.ip,
connection.sni) is shown as a condition on the requests an ALLOW grants ("when ..."); a
DENY or CUSTOM rule under such a condition removes nothing and is shown as a note.

A live cluster: with -k/--kubeconfig FILE and/or -c/--context NAME (alone, the kubeconfig
of $KUBECONFIG or ~/.kube/config) the objects of every kind named above, and workloads,
Services, ServiceAccounts, Namespaces and the mesh's ConfigMap, are read from the cluster's
API server instead of files (all namespaces, in pages of 500), and checked as files are;
API groups the cluster does not serve are skipped. The kubeconfig's user needs list on
each resource (docs/cli.md lists them as a ClusterRole); a list RBAC forbids stops the run
with exit code 2, naming the resource.

What is read: regular files only (no FIFOs or devices), each at most 64 MiB, as UTF-8.
In a folder, a symbolic link is followed only to a file or folder inside that folder.

Each object is first checked against the schemas of Kubernetes v1.36.3 and the pinned
Calico, Istio, Gateway API and ClusterNetworkPolicy CRDs (with their CEL rules), and
the servers' own rules; an invalid one (a bad name, a kind its API group does not serve,
a second object of one kind, namespace and name; with --field-validation strict, a field
the schema does not know) stops the run with exit code 2. Documents that are no
Kubernetes object are skipped with a warning; policies read but not evaluated (the
v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy; Calico staged policies and
dry-run AuthorizationPolicies, which enforce nothing) are named in one too, and in the
json and html output.

--as-enforced evaluates what enforcing an audit rollout would allow: each Calico staged
policy (StagedNetworkPolicy, StagedGlobalNetworkPolicy, StagedKubernetesNetworkPolicy) as
the policy it stages, in place of the enforced policy of its name (stagedAction Delete:
that policy removed), and each AuthorizationPolicy annotated istio.io/dry-run: "true" as
enforced.

Enforcement impact (--observed FILE, repeatable): flows really observed, one JSON record a
line, in ztmesh's format ({"src", "dst", "port", "protocol", "method", "path"}), as Calico's
flow aggregator emits or Whisker serves them (Goldmane, Calico 3.32), or as Istio's proxies
log them with accessLogEncoding: JSON (addresses are mapped to workloads through the pods'
status.podIP). The output adds the section "would be denied when enforced": every observed
flow the policies enforced now allow and the as-enforced view would cut, with the rules that
would cut it, and the callers entries for Pulumi.<stack>.yaml that would keep them, for a
person to review (nothing is applied). A malformed record stops the run with exit code 2
naming the file, line and field; lines a log normally holds besides flows are counted.

Formats (-o): txt, the flow lines; json, one JSON document (flows, with l7 grants and
notes, and routes), written a flow at a time; html, a self-contained report: a matrix
of who may reach whom, a graph, the public routes, and the differences from the
callers that Services declare (annotation ztmesh.io/declared-callers, as MeshService
writes it). Up to 150 workloads and address ranges the matrix and graph show
workloads (about 12 MB if all reach each other); above, the matrix shows namespaces,
and a click on a cell lists its workload pairs (about 20 bytes per pair: 3 MB for
5,000 workloads in 500 namespaces). csv, md and dot: netpol-analyzer's list formats; svg,
the dot graph drawn in-process (no Graphviz needed).

Focus (netpol-analyzer's list flags): --focusworkload W[,W...] keeps the pairs with a
focus workload on one side, --focusworkload-peer with it the pairs with these peers,
--focus-direction ingress|egress one direction, --focus-conn tcp-8080 the pairs that allow
that connection. --exposure adds which workloads are open to the whole cluster, to
namespaces or pods that no input workload matches, or to External: netpol-analyzer's
analysis on Kubernetes NetworkPolicy input; with Calico, ClusterNetworkPolicy or Istio
objects, what pods no rule names get from every layer (entire-cluster; entire-mesh, a pod
with an Istio proxy; NS/[all pods]; the pods rule peers describe; docs/cli.md).

Explain (--explain, -o txt): for every pair of peers, allowed or denied, the policies and
rules that decided each direction. On Kubernetes NetworkPolicy input, netpol-analyzer's
explain text; with Calico, ClusterNetworkPolicy or Istio objects, one line per enforcement
point naming its layer (the rule, tier end or profile at layer 3/4, the AuthorizationPolicy,
PeerAuthentication or ambient waypoint at layer 7). --explain-only allow|deny keeps one side.`;

export interface ReachSpelling {
    readonly name: string;
    readonly usage: string;
    readonly summary: string;
    readonly description: string;
    readonly outputFlag: OutputFlag;
}

/** `ztmesh reach`, ztmesh's own spelling: file arguments, and `-o FILE` as before formats. */
export const reachSpelling: ReachSpelling = {
    name: "reach",
    usage: `<dir-or-file>... [--l7] [--json | --html] [--output FILE]
                    [-o txt|json|html|csv|md|dot|svg] [-f FILE] [--explain] [--explain-only allow|deny] [--exposure]
                    [--focusworkload W] [--focusworkload-peer W] [--focus-direction D]
                    [--focus-conn P-N] [--as-enforced] [--observed FILE]... [--field-validation strict|warn|ignore] [--follow-symlinks] [--max-file-size MIB] [-q | -v]
       ztmesh reach -k KUBECONFIG [-c CONTEXT] | -c CONTEXT [the flags above]`,
    summary: "the connections policy allows between the workloads of manifest files and folders",
    description: reachDescription,
    outputFlag: "format-or-file",
};

/** The command `spelling` names, evaluating reachability; `done` receives its exit code. */
export function reachCommand(spelling: ReachSpelling, io: Io, done: (code: number) => void): Command {
    const command = reportingTo(new Command(spelling.name), io)
        .usage(spelling.usage)
        .summary(spelling.summary)
        .description(spelling.description)
        .argument("[dir-or-file...]", "manifest files and folders (YAML or JSON; folders are read recursively)")
        .option("--explain", "for every pair of peers, the policies and rules that allow or deny each connection, in each direction (-o txt: netpol-analyzer's explain text on Kubernetes NetworkPolicy input; one line per layer with Calico, ClusterNetworkPolicy or Istio)")
        .addOption(new Option("--explain-only <allow|deny>", "with --explain: only the allowed or only the denied connections").choices(explainOnlyValues))
        .addOption(new Option("--observed <file>", "observed flows (ztmesh's JSON Lines, Calico's Goldmane or Whisker flow records, Istio's JSON access logs; repeatable): adds the flows that enforcing the staged and dry-run policies would cut, why, and the callers declarations that would keep them (-o txt, json, html)")
            .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]))
        .option("--l7", "append the HTTP requests allowed at meshed destinations, e.g. [GET /reviews/*], notes on them, and the public routes (External -> gateway -> Service -> workload, with hostnames and paths) of Gateway API and Istio gateways");
    addOutputOptions(command, spelling.outputFlag, reachFormats);
    addFocusOptions(command);
    addInputOptions(command);
    return command.action(async (paths: string[], flags: ReachFlags) => done(await runReach(command, paths, flags, spelling.outputFlag, io)));
}

/** The modules of the -o html report. */
function reportModules() {
    return {
        model: require("../report/model") as typeof import("../report/model"),
        limits: require("../report/limits") as typeof import("../report/limits"),
        page: require("../report/page") as typeof import("../report/page"),
        words: require("../report/words") as typeof import("../report/words"),
    };
}

async function runReach(command: Command, args: readonly string[], flags: ReachFlags, outputFlag: OutputFlag, io: Io): Promise<number> {
    const prefix = commandPrefix(command);
    try {
        const read = readChoice(args, flags);
        const { paths, verbosity } = read;
        const output = outputChoice(flags, outputFlag, reachFormats);
        const choice = focusChoice(flags);
        if (output.format === "html" && (choice.focus !== undefined || flags.exposure === true)) {
            throw new UsageError("the focus flags and --exposure apply to -o txt, csv, md, dot, svg (and the focus flags to json); the html report shows every workload");
        }
        if (output.format === "json" && flags.exposure === true) {
            throw new UsageError("--exposure is written in -o txt, csv, md, dot and svg; json has no exposure section");
        }
        const explain = flags.explain === true || flags.explainOnly !== undefined;
        if (explain && (output.format !== "txt" || flags.l7 === true)) {
            throw new UsageError("--explain is written in -o txt, without --l7");
        }
        const observedFiles = flags.observed ?? [];
        if (observedFiles.length > 0 && (explain || !["txt", "json", "html"].includes(output.format) || choice.focus !== undefined || flags.exposure === true)) {
            throw new UsageError("--observed adds the enforcement impact to -o txt, json and html, without --explain, the focus flags or --exposure");
        }
        const file = output.file === undefined ? undefined : checkedOutputFile(output.file, paths);
        const warn: Warn = verbosity === "quiet" ? () => undefined : (message) => io.stderr(`${prefix}: warning: ${escapeControl(message)}\n`);
        const say = (line: string) => io.stderr(`${prefix}: ${escapeControl(line)}\n`);
        const asRead = await readChosenInput({ ...read, asEnforced: false }, warn, verbosity === "quiet" ? () => undefined : say, verbosity === "verbose" ? say : undefined);
        const input = inChosenView(read, asRead);
        const { objects, notEvaluated } = input;
        const flows = namingFailingFile(input.entries, () => reachability(objects), (object) => reachability([object]));
        notEvaluated.forEach(warn);
        // The impact compares the two views of the input as read, whichever view the flows are listed in.
        // The modules of --observed, -o html and -o svg load only for them: a plain run never needs them.
        const impact = observedFiles.length === 0 ? undefined : (require("../enforcement/impact") as typeof import("../enforcement/impact"))
            .enforcementImpact(asRead.objects, (require("../observed/readObserved") as typeof import("../observed/readObserved")).readObserved(observedFiles, warn, read.options.maxFileBytes));
        choice.warnings.forEach(warn);
        // Explanations are written a pair at a time: a large cluster's run to gigabytes.
        const explained = explain ? explainText(objects, flows, { focus: choice.focus, exposure: choice.exposure, only: flags.explainOnly }, warn) : undefined;
        const listed = explained === undefined ? listedFlows(input, flows, output.format, choice, flags.l7 === true, warn) : undefined;
        const report = output.format === "html" ? reportModules() : undefined;
        const model = report?.model.reportModel(objects, flows, { title: "Reachability report", source: choiceSource(read), limits: notEvaluated.length === 0 ? [] : [report.limits.notEvaluatedLimit(notEvaluated)], ...(impact ? { impact } : {}) });
        const text: Iterable<string> = explained !== undefined ? explained
            : model && report ? report.page.pageParts(model)
            : listed !== undefined ? [output.format === "svg" ? await (require("../formats/svg") as typeof import("../formats/svg")).dotToSvg(listed) : listed]
            : output.format === "json" ? flowsJsonParts(flows, publicFlows(objects, flows), notEvaluated, impact ? { impact } : {})
            : listing(objects, flows, flags.l7 === true, impact);
        if (file === undefined) {
            writeInChunks(text, io.stdout);
        } else {
            writeOutputFile(file.shown, file.target, (put) => writeInChunks(text, put));
            if (verbosity !== "quiet") io.stderr(`${prefix}: wrote ${escapeControl(file.shown)}\n`);
        }
        // The page's summary and limits go to the console too (stderr, so that stdout stays the page).
        if (model && report && verbosity !== "quiet") io.stderr(report.words.consoleSummary(model));
        return 0;
    } catch (error) {
        return failureExitCode(command, io, error);
    }
}

/**
 * The output of netpol-analyzer's list formats (formats/connlist.ts): for csv, md, dot and svg
 * (its DOT), and for txt and json when a focus flag or --exposure is given; undefined where the
 * plain listing, JSON or report page is written as before. The focus warnings go to `warn`.
 */
function listedFlows({ objects, notEvaluated }: AnalysedInput, flows: readonly Flow[], format: OutputFormat, choice: FocusChoice, l7: boolean, warn: Warn): string | undefined {
    const plain = choice.focus === undefined && !choice.exposure;
    if (format === "html" || (plain && (format === "txt" || format === "json"))) {
        return undefined;
    }
    const list = focusList(flows, clusterFromObjects(objects).workloads, choice.focus);
    list.warnings.forEach(warn);
    if (format === "json") {
        return Array.from(flowsJsonParts(list.connections, publicFlows(objects, list.connections), notEvaluated)).join("");
    }
    const exposed = choice.exposure ? exposure(objects, choice.focus) : undefined;
    const text = formatList(list, { output: format === "svg" ? "dot" : format as ListFormat, l7, exposure: exposed });
    return format === "txt" && l7 ? `${text}${formatPublicRoutes(publicFlows(objects, flows))}` : text;
}

/** The flow lines, with `l7` the public routes after them, and the enforcement impact last. */
function* listing(objects: readonly KubeObject[], flows: readonly Flow[], l7: boolean, impact: EnforcementImpact | undefined): Generator<string> {
    yield* flowLines(flows, { l7 });
    if (l7) {
        yield formatPublicRoutes(publicFlows(objects, flows));
    }
    if (impact) {
        yield (require("../enforcement/impactText") as typeof import("../enforcement/impactText")).impactText(impact);
    }
}
