// Preloaded (`node -r`) into a command the benchmark measures: at exit, writes the process's
// peak resident memory in KiB as the last line of standard error. Plain JavaScript, so the
// measured process loads nothing else (no TypeScript compiler).
"use strict";
const fs = require("fs");
process.on("exit", () => fs.writeSync(2, `\npeakRssKiB=${process.resourceUsage().maxRSS}\n`));
