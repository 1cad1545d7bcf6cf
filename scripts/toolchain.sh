#!/usr/bin/env bash
# Builds the Pulumi binaries this project needs from Go modules, into .toolchain/ (git-ignored):
#
#   .toolchain/bin/pulumi                    Pulumi CLI v3.259.0 (or a symlink to a pulumi >= 3.221.0 on PATH)
#   .toolchain/bin/pulumi-language-nodejs    the Node.js language host of toolchain/nodejs-host
#                                            (or the one beside a pulumi taken from PATH)
#   .toolchain/bin/pulumi-resource-pulumi-nodejs  its plugin for pulumi.dynamic.Resource
#   .toolchain/pulumi-home/plugins/...       resource plugin kubernetes, same version as npm @pulumi/kubernetes
#
# Why from Go modules: the Pulumi CLI, its language hosts and its provider plugins are Go
# programs that are not published on npm, and Pulumi's own installers download prebuilt
# binaries from get.pulumi.com / GitHub releases. In locked-down or air-gapped CI the only
# reachable sources are package registries, and of those the Go module proxy is the one that
# serves Pulumi's source. So we compile the exact versions here, with the default Go caches
# (GOMODCACHE/GOCACHE are shared, so CI on the same machine reuses them).
#
# Usage:
#   bash scripts/toolchain.sh        build what is missing or outdated, verify, print the exports
#   bash scripts/toolchain.sh env    same, but progress goes to stderr and stdout holds only the
#                                    exports:  eval "$(bash scripts/toolchain.sh env)"
#
# Re-running with unchanged versions is a no-op (stamps in .toolchain/stamps/). Changing a
# version below (or @pulumi/kubernetes in package-lock.json) rebuilds only that component.
# Knobs: TOOLCHAIN_DIR (default <repo>/.toolchain), TOOLCHAIN_HEARTBEAT (seconds, default 30).
set -euo pipefail

# --- pinned versions (see ../shared/design.md, "Versions pinned now") ------------------------
PULUMI_VERSION="3.259.0"                 # tags pkg/v3.259.0 and sdk/v3.259.0
PULUMI_MIN_VERSION="3.221.0"             # a pulumi on PATH at least this new is used as is
PULUMI_PKG_MODULE="github.com/pulumi/pulumi/pkg/v3"
PULUMI_SDK_MODULE="github.com/pulumi/pulumi/sdk/v3"
PULUMI_VERSION_VAR="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"

K8S_PROVIDER_MODULE="github.com/pulumi/pulumi-kubernetes/provider/v4"
K8S_SDK_MODULE="github.com/pulumi/pulumi-kubernetes/sdk/v4"
K8S_VERSION_VAR="$K8S_PROVIDER_MODULE/pkg/version.Version"

# npm @pulumi/kubernetes version -> Go pseudo-version of $K8S_PROVIDER_MODULE at that release's
# commit (provider/v4 has no tags of its own, so it is fetched by commit).
k8s_provider_pseudo_version() {
    case "$1" in
        # The only provider/v4 commit the module proxy serves here is release v4.25.0's.
        4.25.0) echo "v4.0.0-20260115033456-f47bc2d6f199" ;;
        *) return 1 ;;
    esac
}

# Bump when the build recipe changes, to force a rebuild of everything.
RECIPE=1

# --- layout and helpers (scripts/buildLib.sh: .toolchain/bin, src, stamps, logs) ---------------
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG_TAG=toolchain
# shellcheck source=scripts/buildLib.sh
source "$ROOT/scripts/buildLib.sh"
BUILD="$TC/build"
PHOME="$TC/pulumi-home"

MODE="${1:-all}"
case "$MODE" in all|env) ;; *) echo "usage: bash scripts/toolchain.sh [env]" >&2; exit 2 ;; esac

export PULUMI_HOME="$PHOME"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_UPDATE_CHECK=true

on_exit() {
    local rc=$?
    if [ -n "$CHILD" ]; then kill "$CHILD" 2>/dev/null || true; fi
    # Under eval "$(… env)" a failure would otherwise be an empty, successful eval.
    if [ "$rc" -ne 0 ] && [ "$MODE" = env ]; then echo "false  # scripts/toolchain.sh failed"; fi
}
trap on_exit EXIT

# --- components ---------------------------------------------------------------------------------

# Pulumi CLI: a new enough pulumi on PATH (outside .toolchain) wins, else build v$PULUMI_VERSION.
ensure_pulumi_cli() {
    local found="" v=""
    found=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd: -) command -v pulumi || true)
    if [ -n "$found" ]; then
        v=$("$found" version 2>/dev/null | tr -d '[:space:]' || true)
        if [ -n "$v" ] && version_ge "${v#v}" "$PULUMI_MIN_VERSION"; then
            log "pulumi-cli: using $found ($v >= $PULUMI_MIN_VERSION)"
            mkdir -p "$BIN"; ln -sfn "$found" "$BIN/pulumi"
            stamp_write pulumi-cli "path $found $v"
            return
        fi
        log "pulumi-cli: $found reports '${v:-nothing}', older than $PULUMI_MIN_VERSION: not used, v$PULUMI_VERSION is built here instead"
    fi
    local key="v$PULUMI_VERSION recipe=$RECIPE"
    if [ ! -L "$BIN/pulumi" ] && stamp_ok pulumi-cli "$key" "$BIN/pulumi"; then
        log "pulumi-cli: v$PULUMI_VERSION up to date"; return
    fi
    local dir="$SRC/pulumi-cli" pkg="$PULUMI_PKG_MODULE/cmd/pulumi"
    log "pulumi-cli: tools module for $PULUMI_PKG_MODULE@v$PULUMI_VERSION"
    make_tools_module "$dir" "$PULUMI_PKG_MODULE" "v$PULUMI_VERSION" "$pkg" \
        "$PULUMI_SDK_MODULE@v$PULUMI_VERSION" "$PULUMI_PKG_MODULE@v$PULUMI_VERSION"
    cd "$dir"
    run "pulumi-cli: go mod tidy" env GOFLAGS=-mod=mod go mod tidy
    mkdir -p "$BIN"; rm -f "$BIN/pulumi"
    run "pulumi-cli: go build" env GOFLAGS=-mod=mod go build -v -trimpath -o "$BIN/pulumi" \
        -ldflags "-X $PULUMI_VERSION_VAR=v$PULUMI_VERSION" "$pkg"
    stamp_write pulumi-cli "$key"
}

# pulumi-language-nodejs: ztmesh's own host (toolchain/nodejs-host), since the module proxy does
# not serve Pulumi's. Rebuilt when its source changes (the stamp is a hash of its files).
ensure_nodejs_host() {
    # A Pulumi CLI taken from PATH ships its language hosts beside it: use that one.
    if [ -L "$BIN/pulumi" ]; then
        local beside; beside="$(dirname "$(readlink "$BIN/pulumi")")/pulumi-language-nodejs"
        if [ -x "$beside" ]; then
            ln -sfn "$beside" "$BIN/pulumi-language-nodejs"
            ln -sfn "$(dirname "$beside")/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"
            log "pulumi-language-nodejs: using $beside (beside the pulumi on PATH)"; return
        fi
    fi
    local src="$ROOT/toolchain/nodejs-host"
    local hash; hash=$(cd "$src" && cat go.mod go.sum ./*.go pulumi-resource-pulumi-nodejs | sha256sum | cut -c1-16)
    local key="source=$hash pulumi=v$PULUMI_VERSION recipe=$RECIPE"
    if [ ! -L "$BIN/pulumi-language-nodejs" ] && stamp_ok pulumi-language-nodejs "$key" "$BIN/pulumi-language-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"; then
        log "pulumi-language-nodejs: up to date (source $hash)"; return
    fi
    cd "$src"
    mkdir -p "$BIN"; rm -f "$BIN/pulumi-language-nodejs"
    run "pulumi-language-nodejs: go build (toolchain/nodejs-host)" go build -trimpath \
        -o "$BIN/pulumi-language-nodejs" -ldflags "-X main.version=$PULUMI_VERSION" .
    # The plugin behind pulumi.dynamic.Resource ships with the language host.
    install -m 0755 pulumi-resource-pulumi-nodejs "$BIN/pulumi-resource-pulumi-nodejs"
    stamp_write pulumi-language-nodejs "$key"
}

npm_k8s_version() {
    node -e 'const l=require(process.argv[1]);const p=(l.packages||{})["node_modules/@pulumi/kubernetes"];
             if(!p){process.exit(1)};console.log(p.version)' "$ROOT/package-lock.json" \
        || die "cannot read @pulumi/kubernetes from $ROOT/package-lock.json"
}

k8s_plugin_installed() {   # the plugin directory pulumi creates for `plugin install resource kubernetes V`
    [ -x "$PHOME/plugins/resource-kubernetes-v$1/pulumi-resource-kubernetes" ]
}

# pulumi-resource-kubernetes at the npm SDK's version, installed as a plugin into $PULUMI_HOME.
ensure_k8s_provider() {
    local npmv; npmv=$(npm_k8s_version)
    local gov; gov=$(k8s_provider_pseudo_version "$npmv") \
        || die "no Go pseudo-version known for @pulumi/kubernetes $npmv: add '$npmv) echo \"v4.0.0-<commit time>-<12-char commit>\"' to k8s_provider_pseudo_version in scripts/toolchain.sh (the commit of tag v$npmv of pulumi/pulumi-kubernetes)"
    local key="$npmv $gov recipe=$RECIPE"
    local out="$BUILD/kubernetes-$npmv/pulumi-resource-kubernetes"
    if stamp_ok kubernetes "$key" "$out"; then
        if k8s_plugin_installed "$npmv"; then log "kubernetes: $npmv up to date"; return; fi
    else
        build_k8s_provider "$npmv" "$gov" "$out"
        stamp_write kubernetes "$key"
    fi
    log "kubernetes: pulumi plugin install resource kubernetes $npmv --file $out"
    rm -rf "$PHOME/plugins/resource-kubernetes-v$npmv" "$PHOME/plugins/resource-kubernetes-v$npmv.lock"
    "$BIN/pulumi" plugin install resource kubernetes "$npmv" --file "$out" >&2
}

build_k8s_provider() {
    local npmv=$1 gov=$2 out=$3
    log "kubernetes: fetching $K8S_PROVIDER_MODULE@$gov (npm $npmv)"
    resolve_module "$K8S_PROVIDER_MODULE" "$gov" >/dev/null
    local modsrc; modsrc=$(module_dir "$K8S_PROVIDER_MODULE" "$gov")
    local dir="$SRC/pulumi-kubernetes-provider"
    # A writable copy: the module cache is read-only, and go generate writes the *-embed.json files.
    rm -rf "$dir"; mkdir -p "$SRC"; cp -r "$modsrc" "$dir"; chmod -R u+w "$dir"
    cd "$dir"
    # Upstream replaces sdk/v4 => ../sdk (same repository, same commit); use the published release.
    go mod edit -dropreplace="$K8S_SDK_MODULE" \
        -require="$K8S_SDK_MODULE@v$npmv" -replace="$K8S_SDK_MODULE=$K8S_SDK_MODULE@v$npmv"
    log "  replace $K8S_SDK_MODULE => ../sdk  becomes  => $K8S_SDK_MODULE@v$npmv"
    # As upstream's Makefile (k8sprovider): VERSION=… go generate cmd/pulumi-resource-kubernetes/main.go
    # runs generate.go, which writes schema-embed.json (schema.json with .version set) and
    # terraform-mapping-embed.json (terraform-mapping.json re-serialised); main.go embeds both.
    run "kubernetes: go generate (schema-embed.json, terraform-mapping-embed.json)" \
        env GOFLAGS=-mod=mod VERSION="$npmv" go generate ./cmd/pulumi-resource-kubernetes/main.go
    [ -s cmd/pulumi-resource-kubernetes/schema-embed.json ] && [ -s cmd/pulumi-resource-kubernetes/terraform-mapping-embed.json ] \
        || die "go generate did not write the embedded schema files"
    mkdir -p "$(dirname "$out")"; rm -f "$out"
    run "kubernetes: go build" env GOFLAGS=-mod=mod go build -v -trimpath -o "$out" \
        -ldflags "-X $K8S_VERSION_VAR=$npmv" ./cmd/pulumi-resource-kubernetes
}

# --- verification -------------------------------------------------------------------------------
verify() {
    local v want
    v=$("$BIN/pulumi" version)
    want=$(sed 's/^path [^ ]* //' "$STAMPS/pulumi-cli" | cut -d' ' -f1)
    [ "$v" = "$want" ] || die "pulumi version printed '$v', expected '$want'"
    log "verify: pulumi version = $v"
    [ -x "$BIN/pulumi-language-nodejs" ] || die "$BIN/pulumi-language-nodejs is missing"
    "$BIN/pulumi-language-nodejs" -help >/dev/null 2>&1 \
        || die "pulumi-language-nodejs -help failed"
    log "verify: pulumi-language-nodejs runs (-help)"
    local npmv; npmv=$(npm_k8s_version)
    local ls; ls=$("$BIN/pulumi" plugin ls 2>&1) || die "pulumi plugin ls failed: $ls"
    printf '%s\n' "$ls" | grep -Eq "^kubernetes[[:space:]]+resource[[:space:]]+$npmv[[:space:]]" \
        || die "pulumi plugin ls (PULUMI_HOME=$PHOME) does not list kubernetes $npmv:
$ls"
    log "verify: pulumi plugin ls lists resource kubernetes $npmv"
}

# --- main ---------------------------------------------------------------------------------------
main() {
    command -v go >/dev/null || die "go is not on PATH (Go >= 1.25 is needed)"
    command -v node >/dev/null || die "node is not on PATH"
    mkdir -p "$BIN" "$SRC" "$BUILD" "$STAMPS" "$PHOME"
    log "$(go version), GOPROXY=$(go env GOPROXY), GOMODCACHE=$(go env GOMODCACHE)"

    # Each component in its own subshell (set -e stays active there), so one failure does not
    # hide the others; the script still fails at the end.
    local failed=() c rc
    for c in pulumi_cli nodejs_host k8s_provider; do
        local t0=$SECONDS
        set +e; ( set -e; "ensure_$c" ); rc=$?; set -e
        if [ "$rc" -ne 0 ]; then failed+=("$c"); log "$c: FAILED after $((SECONDS - t0))s"
        else log "$c: ok ($((SECONDS - t0))s)"; fi
    done
    [ "${#failed[@]}" -eq 0 ] || die "failed: ${failed[*]} (see the errors above)"
    verify
    log "done"
    local exports="export PATH=\"$BIN:\$PATH\"; export PULUMI_HOME=\"$PHOME\"; export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true; export PULUMI_SKIP_UPDATE_CHECK=true"
    echo "$exports"
}

main
