/**
 * `ztmesh list`: `ztmesh reach` in netpol-analyzer's spelling, so that scripts written for its
 * `list` command run unchanged: `--dirpath DIR` (repeatable) beside file arguments, and
 * `-o/--output` takes only a format, the file being `-f/--file`.
 */
import { Command } from "commander";
import { Io } from "./io";
import { reachCommand } from "./reach";

export function listCommand(io: Io, done: (code: number) => void): Command {
    return reachCommand({
        name: "list",
        usage: `--dirpath DIR... [-o txt|json|html|csv|md|dot|svg] [-f FILE] [--l7]
                   [--explain] [--explain-only allow|deny] [--exposure] [--focusworkload W] [--focusworkload-peer W] [--focus-direction D]
                   [--focus-conn P-N] [--field-validation strict|warn|ignore] [-q | -v]
       ztmesh list -k KUBECONFIG [-c CONTEXT] | -c CONTEXT [the flags above]`,
        summary: "ztmesh reach in netpol-analyzer's spelling: --dirpath DIR, -o FORMAT, -f FILE",
        description: `The same as ztmesh reach (ztmesh reach --help says what it evaluates and reads), in
netpol-analyzer's spelling: the manifests are given with --dirpath DIR (or as arguments),
-o/--output names only a format, and -f/--file the file to write.`,
        outputFlag: "format",
    }, io, done);
}
