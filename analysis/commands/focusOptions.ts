/**
 * The focus and exposure flags of `reach` and `list`, in netpol-analyzer's spelling
 * (`--focusworkload`, `--focusworkload-peer`, `--focus-direction`, `--focus-conn`, `--exposure`)
 * and ztmesh's (`--focus-workload`, `--focus-workload-peer`). Workload lists are comma-separated
 * and may be repeated, as netpol-analyzer's string-slice flags.
 */
import { Command, Option } from "commander";
import { FocusError, FocusOptions, parseFocusConn, parseFocusDirection } from "../formats/focus";
import { UsageError } from "./usage";

export interface FocusFlags {
    readonly focusworkload?: readonly string[];
    readonly focusWorkload?: readonly string[];
    readonly focusworkloadPeer?: readonly string[];
    readonly focusWorkloadPeer?: readonly string[];
    readonly focusDirection?: string;
    readonly focusConn?: string;
    readonly exposure?: boolean;
}

/** What the flags ask for: the focus (undefined when no focus flag is given) and whether to add the exposure analysis. */
export interface FocusChoice {
    readonly focus?: FocusOptions;
    readonly exposure: boolean;
    /** netpol-analyzer's warning when --exposure is dropped. */
    readonly warnings: readonly string[];
}

const commaSeparated = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(",").filter((name) => name !== "")];

/** Adds the focus and exposure flags to `command`. */
export function addFocusOptions(command: Command): Command {
    const workloadHelp = "only the connections of these workloads (NAME in any namespace, or NAMESPACE/NAME; comma-separated, may be repeated)";
    const peerHelp = "with --focusworkload: only their connections with these peers (same form)";
    return command
        .addOption(new Option("--focusworkload <workloads>", workloadHelp).argParser(commaSeparated))
        .addOption(new Option("--focus-workload <workloads>", "the same as --focusworkload").argParser(commaSeparated))
        .addOption(new Option("--focusworkload-peer <workloads>", peerHelp).argParser(commaSeparated))
        .addOption(new Option("--focus-workload-peer <workloads>", "the same as --focusworkload-peer").argParser(commaSeparated))
        .addOption(new Option("--focus-direction <direction>", "with --focusworkload: only connections into (ingress) or out of (egress) them"))
        .addOption(new Option("--focus-conn <protocol-port>", "only the pairs that allow this one connection, e.g. tcp-8080"))
        .addOption(new Option("--exposure", "add the exposure analysis: which workloads are open to the whole cluster, to namespaces or pods no input workload matches, or to External (with Calico or Istio policy: every layer, probed with pods no rule names)"));
}

/**
 * The focus and exposure the flags ask for. As netpol-analyzer (pkg/netpol/connlist/connlist.go,
 * warnIncompatibleFlagsUsage), the exposure analysis is dropped with a warning when both
 * --focusworkload and --focusworkload-peer are given: it describes single workloads, not pairs.
 * A malformed --focus-direction or --focus-conn is a UsageError, before anything is read.
 */
export function focusChoice(flags: FocusFlags): FocusChoice {
    try {
        parseFocusDirection(flags.focusDirection);
        if (flags.focusConn !== undefined) parseFocusConn(flags.focusConn);
    } catch (error) {
        throw error instanceof FocusError ? new UsageError(error.message) : error;
    }
    const focusworkload = [...(flags.focusworkload ?? []), ...(flags.focusWorkload ?? [])];
    const focusworkloadPeer = [...(flags.focusworkloadPeer ?? []), ...(flags.focusWorkloadPeer ?? [])];
    const given = focusworkload.length > 0 || focusworkloadPeer.length > 0 || flags.focusDirection !== undefined || flags.focusConn !== undefined;
    const focus: FocusOptions | undefined = given ? { focusworkload, focusworkloadPeer, focusDirection: flags.focusDirection, focusConn: flags.focusConn } : undefined;
    if (flags.exposure === true && focusworkload.length > 0 && focusworkloadPeer.length > 0) {
        return { focus, exposure: false, warnings: ["exposure analysis is not relevant when both focusworkload and focusworkload-peer are used; exposure flag will be ignored"] };
    }
    return { focus, exposure: flags.exposure === true, warnings: [] };
}
