#!/usr/bin/env bash
# The headless browser the report's browser tests (`npm run test:browser`) drive: Debian's
# `chromium` (playwright-core, an npm devDependency, drives it; Playwright's own browser
# downloads come from a CDN that locked-down CI cannot reach, while Debian's archive is a
# package registry).
#
#   bash scripts/browser.sh          installs it when missing (apt-get, as root; about a minute)
#   bash scripts/browser.sh --check  only looks, and says in one line how to get it when missing
#
# Prints the browser's path. A browser elsewhere: set ZTMESH_CHROMIUM to its executable.
set -euo pipefail

browser="${ZTMESH_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
    echo "$browser"
    exit 0
fi
if [ -n "${ZTMESH_CHROMIUM:-}" ]; then
    echo "error: ZTMESH_CHROMIUM=$ZTMESH_CHROMIUM is not an executable: point it at a Chromium or Chrome executable, or unset it and run \`bash scripts/browser.sh\`" >&2
    exit 1
fi
if [ "${1:-}" = "--check" ]; then
    echo "error: the browser tests need Chromium at $browser: run \`bash scripts/browser.sh\` (as root: installs Debian's chromium), or set ZTMESH_CHROMIUM to a Chromium or Chrome executable" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: the browser tests need Chromium at $browser. Install it (Debian/Ubuntu: sudo apt-get install -y chromium)," >&2
    echo "       or set ZTMESH_CHROMIUM to a Chromium or Chrome executable." >&2
    exit 1
fi
started=$(date +%s)
step() { echo "[browser +$(( $(date +%s) - started ))s] $*" >&2; }
step "installing Debian's chromium for the browser tests (apt-get; about a minute)"
export DEBIAN_FRONTEND=noninteractive
# Another apt (unattended upgrades, a parallel job) may hold the dpkg lock: wait for it.
apt_wait=(-o DPkg::Lock::Timeout=600)
apt-get "${apt_wait[@]}" update -qq >&2
apt-get "${apt_wait[@]}" install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
step "installed $("$browser" --version 2>/dev/null | head -1)"
echo "$browser"
