#!/usr/bin/env bash
# Makes sure the headless browser the report tests drive is installed: Debian's `chromium`
# (playwright-core, an npm devDependency, drives it; Playwright's own browser downloads come
# from a CDN that locked-down CI cannot reach, while Debian's archive is a package registry).
#
# Prints the browser's path. A browser elsewhere: set ZTMESH_CHROMIUM to its executable.
# Without it, installs the `chromium` package with apt-get when run as root, and otherwise
# says what to run.
set -euo pipefail

browser="${ZTMESH_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
    echo "$browser"
    exit 0
fi
if [ -n "${ZTMESH_CHROMIUM:-}" ]; then
    echo "error: ZTMESH_CHROMIUM=$ZTMESH_CHROMIUM is not an executable" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: the report tests need Chromium at /usr/bin/chromium. Install it (Debian/Ubuntu: sudo apt-get install -y chromium)," >&2
    echo "       or set ZTMESH_CHROMIUM to a Chromium or Chrome executable." >&2
    exit 1
fi
started=$(date +%s)
step() { echo "[browser +$(( $(date +%s) - started ))s] $*" >&2; }
step "installing Debian's chromium for the report tests (apt-get; about a minute)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
step "installed $("$browser" --version 2>/dev/null | head -1)"
echo "$browser"
