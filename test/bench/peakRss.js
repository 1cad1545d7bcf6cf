// Preloaded (`node -r`) into a command the benchmark measures: at exit, writes the process's
// peak resident memory in KiB and its CPU time (user and system) in milliseconds as the last
// line of standard error. Plain JavaScript, so the measured process loads nothing else (no
// TypeScript compiler).
"use strict";
const fs = require("fs");
process.on("exit", () => {
    const usage = process.resourceUsage();
    fs.writeSync(2, `\npeakRssKiB=${usage.maxRSS} cpuMs=${Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000)}\n`);
});
