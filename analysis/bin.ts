#!/usr/bin/env node
/**
 * The `ztmesh` executable: runs the command line and exits with its code.
 *
 * v8-compile-cache is required before anything else: it keeps V8's compiled code of every module
 * the command loads in the system's temporary folder, so a later run skips compiling their top-level
 * code (Node 20 has no built-in module compile cache); a missing or unwritable cache folder only
 * means compiling as before.
 */
import "v8-compile-cache";
import { main } from "./cli";

main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
});
