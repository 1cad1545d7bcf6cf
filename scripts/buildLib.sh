# Helpers for the scripts that build binaries from Go modules into .toolchain/ (toolchain.sh,
# cluster.sh): progress lines with elapsed time, long commands with a heartbeat and a log,
# version stamps, and throw-away "tools" modules that build one upstream main package with the
# replaces upstream uses. Sourced, not run: the caller sets ROOT (the repository) and LOG_TAG
# (its name in progress lines) first.

# The shared layout of .toolchain/ (TOOLCHAIN_DIR overrides it) and build settings.
TC="${TOOLCHAIN_DIR:-$ROOT/.toolchain}"
BIN="$TC/bin"
SRC="$TC/src"
STAMPS="$TC/stamps"
LOGS="$TC/logs"
HEARTBEAT="${TOOLCHAIN_HEARTBEAT:-30}"
export CGO_ENABLED=0
START=$SECONDS
CHILD=""   # the long command `run` is waiting for, for the caller's EXIT trap to stop

log() { echo "[$LOG_TAG +$((SECONDS - START))s] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

stamp_ok() {   # stamp_ok NAME KEY [FILE...] : the stamp says KEY and every FILE exists
    local name=$1 key=$2; shift 2
    [ -f "$STAMPS/$name" ] && [ "$(cat "$STAMPS/$name")" = "$key" ] || return 1
    local f; for f in "$@"; do [ -e "$f" ] || return 1; done
}
stamp_write() { mkdir -p "$STAMPS"; printf '%s\n' "$2" >"$STAMPS/$1"; }

# run LABEL CMD... : run a long command with its output in $LOGS, a heartbeat every
# $HEARTBEAT seconds (with the last line it printed), and the log's tail on failure.
run() {
    local label=$1; shift
    mkdir -p "$LOGS"
    local logf; logf="$LOGS/$(printf '%s' "$label" | tr -c 'A-Za-z0-9._-' '_').log"
    local t0=$SECONDS next=$((SECONDS + HEARTBEAT)) rc=0
    log "$label ..."
    "$@" >"$logf" 2>&1 &
    CHILD=$!
    while kill -0 "$CHILD" 2>/dev/null; do
        sleep 1
        if [ "$SECONDS" -ge "$next" ]; then
            log "  … $label still running ($((SECONDS - t0))s, $(wc -l <"$logf") log lines; last: $(tail -n 1 "$logf" | cut -c1-100))"
            next=$((SECONDS + HEARTBEAT))
        fi
    done
    wait "$CHILD" || rc=$?
    CHILD=""
    if [ "$rc" -ne 0 ]; then
        tail -n 30 "$logf" >&2
        die "$label failed (exit $rc); full log: $logf"
    fi
    log "$label done ($((SECONDS - t0))s)"
}

json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(v===undefined)process.exit(1);console.log(v)})' "$1"; }

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# Resolve MODULE@QUERY (a version, tag or commit) through the configured GOPROXY; print the version.
resolve_module() {
    local out
    if ! out=$(cd "$TC" && go list -m -json "$1@$2" 2>&1); then
        case "$out" in
            *"403 Forbidden"*|*"404 Not Found"*|*"not available"*)
                die "the Go module proxy ($(go env GOPROXY)) refuses $1@$2, so it cannot be built here:
$out" ;;
            *) die "cannot resolve $1@$2:
$out" ;;
        esac
    fi
    printf '%s' "$out" | json_field Version
}

# Print the path of MODULE@VERSION's go.mod in the module cache (downloading the module).
module_gomod() {
    local out
    out=$(cd "$TC" && go mod download -json "$1@$2" 2>&1) \
        || die "go mod download $1@$2 failed:
$out"
    printf '%s' "$out" | json_field GoMod
}

# Print the directory of MODULE@VERSION's source in the module cache.
module_dir() { (cd "$TC" && go mod download -json "$1@$2") | json_field Dir; }

# requires GOMOD MODULE : GOMOD has a require line for MODULE.
requires() {
    go mod edit -json "$1" | node -e '
        let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
          process.exit((JSON.parse(s).Require || []).some((r) => r.Path === process.argv[1]) ? 0 : 1);
        })' "$2"
}

# copy_replaces GOMOD PINS... : apply GOMOD's replace directives to the go.mod in the current
# directory. A replace with a local target (e.g. sdk/v3 => ../sdk, only valid inside the
# upstream repository) becomes `=> same module at its published version`, taken from PINS
# ("module@version" words); a local replace with no pin is an error, unless GOMOD does not
# require that module at all (a guard). Others are copied as is.
copy_replaces() {
    local gomod=$1; shift
    local old oldv new newv pin target
    while IFS='|' read -r old oldv new newv; do
        [ -n "$old" ] || continue
        [ -n "$oldv" ] && old="$old@$oldv"
        if [ -z "$newv" ]; then                       # local directory target
            target=""
            for pin in "$@"; do [ "${pin%@*}" = "${old%@*}" ] && target=$pin; done
            if [ -z "$target" ] && ! requires "$gomod" "${old%@*}"; then
                # A guard or a module the build never requires (etcd's
                # `go.etcd.io/etcd => ./FORBIDDEN_DEPENDENCY`): nothing to replace.
                log "  replace $old => $new  dropped ($old is not required)"
                continue
            fi
            [ -n "$target" ] || die "$gomod: replace $old => $new points into the upstream repo and no published version is pinned for it"
            log "  replace $old => $new  becomes  => $target"
            go mod edit -replace="$old=$target"
        else
            log "  replace $old => $new@$newv  (copied)"
            go mod edit -replace="$old=$new@$newv"
        fi
    done < <(go mod edit -json "$gomod" | node -e '
        let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
          for (const r of JSON.parse(s).Replace || [])
            console.log([r.Old.Path, r.Old.Version||"", r.New.Path, r.New.Version||""].join("|"));
        })')
}

# make_tools_module DIR MODULE VERSION MAIN_PKG PINS... : a throw-away module in DIR whose only
# job is to build MAIN_PKG out of MODULE@VERSION with the same replaces upstream uses.
make_tools_module() {
    local dir=$1 mod=$2 ver=$3 pkg=$4; shift 4
    local gomod; gomod=$(module_gomod "$mod" "$ver")
    local gover; gover=$(go mod edit -json "$gomod" | json_field Go)
    rm -rf "$dir"; mkdir -p "$dir"
    (
        cd "$dir"
        printf 'module ztmesh.local/toolchain/%s\n\ngo %s\n' "$(basename "$dir")" "$gover" >go.mod
        printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >tools.go
        go mod edit -require="$mod@$ver"
        local pin; for pin in "$@"; do go mod edit -require="$pin"; done
        copy_replaces "$gomod" "$@"
    )
}
