#!/usr/bin/env node
/** The `ztmesh` executable: runs the command line and exits with its code. */
import { main } from "./cli";

main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
});
