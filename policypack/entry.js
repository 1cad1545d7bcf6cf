/*
 * The pack's entry point (package.json `main`), for the two ways Pulumi loads it.
 *
 * In a checkout the TypeScript sources are here and they are the pack: Pulumi's policy runner
 * registers ts-node before it requires `main`, so `pulumi preview --policy-pack policypack` runs
 * the rules as they are, with no build step and no stale output. A published pack (`npm pack`,
 * `pulumi policy publish`) ships no sources, only dist/, which `prepack` compiles from them and
 * from the engine they import (../analysis, ../common/wellKnown.ts).
 */
"use strict";
const fs = require("fs");
const path = require("path");

const sources = path.join(__dirname, "index.ts");
require(fs.existsSync(sources) ? sources : "./dist/policypack/index.js");
