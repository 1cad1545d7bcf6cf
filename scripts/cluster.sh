#!/usr/bin/env bash
# Builds the Kubernetes API server and etcd that `npm run test:cluster` runs on loopback, from
# Go modules into .toolchain/bin (git-ignored), the same way scripts/toolchain.sh builds Pulumi:
#
#   .toolchain/bin/etcd             etcd v3.6.8 (what kubeadm 1.36 defaults to)
#   .toolchain/bin/kube-apiserver   kube-apiserver v1.36.3
#
# Starting and stopping them is the test harness's job (test/cluster/apiServer.ts): it needs
# their PIDs to stop them when a test fails or the run is interrupted.
#
# Usage: bash scripts/cluster.sh    build what is missing or outdated (stamped by version)
# Cold: about 20 minutes of CPU for kube-apiserver (~10–12 min on 2 quiet cores, 1.9 GB RSS
# while linking) and 2 for etcd; a run with nothing to do takes a second.
set -euo pipefail

KUBERNETES_VERSION="1.36.3"
STAGING_VERSION="0.36.3"          # k8s.io/<staging module> v0.36.3 = Kubernetes v1.36.3
ETCD_VERSION="3.6.8"
RECIPE=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG_TAG=cluster
# shellcheck source=scripts/buildLib.sh
source "$ROOT/scripts/buildLib.sh"
trap '[ -z "$CHILD" ] || kill "$CHILD" 2>/dev/null || true' EXIT

# The staging modules (k8s.io/api, k8s.io/apiserver, ...) that k8s.io/kubernetes requires at
# v0.0.0 and replaces with folders of its own repository: each becomes its published release.
staging_pins() {
    local gomod=$1
    go mod edit -json "$gomod" | node -e '
        let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
          for (const r of JSON.parse(s).Require || [])
            if (r.Path.startsWith("k8s.io/") && r.Version === "v0.0.0") console.log(`${r.Path}@v${process.argv[1]}`);
        })' "$STAGING_VERSION"
}

ensure_kube_apiserver() {
    local key="v$KUBERNETES_VERSION recipe=$RECIPE"
    if stamp_ok kube-apiserver "$key" "$BIN/kube-apiserver"; then
        log "kube-apiserver: v$KUBERNETES_VERSION up to date"; return
    fi
    local module="k8s.io/kubernetes" version="v$KUBERNETES_VERSION" pkg="k8s.io/kubernetes/cmd/kube-apiserver"
    local gomod; gomod=$(module_gomod "$module" "$version")
    local pins; mapfile -t pins < <(staging_pins "$gomod")
    log "kube-apiserver: tools module for $module@$version (${#pins[@]} staging modules at v$STAGING_VERSION)"
    make_tools_module "$SRC/kube-apiserver" "$module" "$version" "$pkg" "${pins[@]}"
    cd "$SRC/kube-apiserver"
    run "kube-apiserver: go mod tidy" env GOFLAGS=-mod=mod go mod tidy
    mkdir -p "$BIN"; rm -f "$BIN/kube-apiserver"
    # Without the -X flags the server reports version v0.0.0.
    run "kube-apiserver: go build" env GOFLAGS=-mod=mod go build -v -trimpath -o "$BIN/kube-apiserver" \
        -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=${KUBERNETES_VERSION%%.*} -X k8s.io/component-base/version.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)" "$pkg"
    stamp_write kube-apiserver "$key"
}

ensure_etcd() {
    local key="v$ETCD_VERSION recipe=$RECIPE"
    if stamp_ok etcd "$key" "$BIN/etcd"; then
        log "etcd: v$ETCD_VERSION up to date"; return
    fi
    local module="go.etcd.io/etcd/server/v3" version="v$ETCD_VERSION"
    log "etcd: tools module for $module@$version"
    make_tools_module "$SRC/etcd" "$module" "$version" "$module" \
        "go.etcd.io/etcd/api/v3@$version" "go.etcd.io/etcd/client/pkg/v3@$version" \
        "go.etcd.io/etcd/client/v3@$version" "go.etcd.io/etcd/pkg/v3@$version"
    cd "$SRC/etcd"
    run "etcd: go mod tidy" env GOFLAGS=-mod=mod go mod tidy
    mkdir -p "$BIN"; rm -f "$BIN/etcd"
    run "etcd: go build" env GOFLAGS=-mod=mod go build -v -trimpath -o "$BIN/etcd" -ldflags "-s -w" "$module"
    stamp_write etcd "$key"
}

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 is needed)"
mkdir -p "$BIN" "$SRC" "$STAMPS"
( ensure_etcd )
( ensure_kube_apiserver )
# sed reads every line and prints the first: `head -n1` would close the pipe early, and etcd's
# next write would then die of SIGPIPE, which pipefail turns into a failed build (exit 141).
"$BIN/etcd" --version | sed -n "1s/^/[$LOG_TAG] verify: /p" >&2
"$BIN/kube-apiserver" --version | sed "s/^/[$LOG_TAG] verify: /" >&2
log "done"
