import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { evalExitCodes } from "../../analysis/commands/eval";
import { runCli } from "../analysis/cliRun";
import { conformanceFolder } from "./conformanceText";

/**
 * netpol-analyzer's `eval` command line, run as its users' scripts run it (`eval --dirpath DIR
 * -s POD -n NS -d POD --destination-namespace NS -p PORT --protocol P`, `--source-ip` /
 * `--destination-ip` for an address), against its answers (../shared/conformance/netpol-eval):
 * the verdict line byte for byte, the verdict as the exit code.
 */
interface EvalVector {
    readonly case: string;
    readonly src: string;
    readonly dst: string;
    readonly protocol: string;
    readonly port: string;
    readonly allowed: boolean;
    readonly output: string;
}

const root = conformanceFolder("netpol-eval");
const vectors: EvalVector[] = JSON.parse(fs.readFileSync(path.join(root, "eval.json"), "utf8"));

/** A peer in netpol-analyzer's flags: `-s POD -n NS` for `namespace/pod`, `--source-ip IP` for an address. */
function peerArgs(peer: string, side: "source" | "destination"): string[] {
    const slash = peer.indexOf("/");
    if (slash < 0) {
        return [`--${side}-ip`, peer];
    }
    const [namespace, pod] = [peer.slice(0, slash), peer.slice(slash + 1)];
    return side === "source" ? ["-s", pod, "-n", namespace] : ["-d", pod, "--destination-namespace", namespace];
}

const argsOf = (vector: EvalVector) => ["eval", "--dirpath", path.join(root, vector.case, "input"), ...peerArgs(vector.src, "source"), ...peerArgs(vector.dst, "destination"), "-p", vector.port, "--protocol", vector.protocol];

describe("netpol-analyzer's eval command line (conformance)", () => {
    it("has the upstream vectors", () => {
        assert.deepStrictEqual(["onlineboutique_with_replicas", "testbasic"].map((name) => vectors.filter((vector) => vector.case === name).length), [182, 7]);
    });

    for (const vector of vectors) {
        it(`${vector.case}: ${vector.output}`, async () => {
            const { code, stdout, stderr } = await runCli(argsOf(vector));
            assert.deepStrictEqual([stdout.split("\n")[0], code, stderr], [vector.output, vector.allowed ? evalExitCodes.allowed : evalExitCodes.denied, ""]);
        });
    }

    it("-q prints the verdict line alone, as netpol-analyzer", async () => {
        for (const vector of vectors.filter((candidate) => candidate.case === "testbasic")) {
            const { stdout } = await runCli([...argsOf(vector), "-q"]);
            assert.strictEqual(stdout, `${vector.output}\n`);
        }
    });
});
