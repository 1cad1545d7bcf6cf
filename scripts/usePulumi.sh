# Sourced by up.sh and diff.sh: puts a Pulumi CLI on PATH. A `pulumi` >= 3.221 already on PATH
# (the official install) is used as it is, with your own PULUMI_HOME and plugins. Without one,
# scripts/toolchain.sh builds the pinned CLI, the Node.js language host and the Kubernetes
# provider from Go modules into .toolchain/ (once; ~15 min cold on 2 cores, seconds afterwards)
# and those are used. Needs `root` (the project folder) and a `step` function for progress.

min_pulumi="3.221.0"
path_pulumi_ok() {
    local v
    command -v pulumi >/dev/null 2>&1 || return 1
    v=$(pulumi version 2>/dev/null | tr -d '[:space:]v') || return 1
    [ "$(printf '%s\n%s\n' "$min_pulumi" "$v" | sort -V | head -n1)" = "$min_pulumi" ]
}

if path_pulumi_ok; then
    step "using $(command -v pulumi) ($(pulumi version))"
else
    step "no pulumi >= $min_pulumi on PATH: building the toolchain into .toolchain/ (progress below)"
    exports=$(bash "$root/scripts/toolchain.sh" env)
    eval "$exports"
    step "using $(command -v pulumi) ($(pulumi version)) from .toolchain/"
fi
