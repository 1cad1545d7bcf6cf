#!/usr/bin/env bash
# Runs one environment of ztmesh: `pulumi up` of stack $1 (default: dev) on a local file
# backend inside the project (.pulumi/, git-ignored). Extra arguments go to `pulumi up`;
# `--preview` runs `pulumi preview` instead.
#
# Pulumi: the one on PATH, or the pinned toolchain built into .toolchain/ (scripts/usePulumi.sh).
#
# The dev stack and its audit-mode twin (audit) use an empty passphrase for their secrets (the
# self-signed key): those two only.
# Production stacks set PULUMI_CONFIG_PASSPHRASE (or a KMS secrets provider) and a shared
# backend (PULUMI_BACKEND_URL=s3://..., gs://..., azblob://..., or Pulumi Cloud).
set -euo pipefail

stack="${1:-dev}"
shift || true
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
started=$(date +%s)
step() { echo "[up +$(( $(date +%s) - started ))s] $*"; }

if [ ! -d node_modules ]; then
    step "installing dependencies (npm ci)"
    npm ci --no-audit --no-fund
fi

# shellcheck source=scripts/usePulumi.sh
source "$root/scripts/usePulumi.sh"

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$root/.pulumi}"
export PULUMI_SKIP_UPDATE_CHECK=true
if [ "$stack" = "dev" ] || [ "$stack" = "audit" ]; then
    export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
fi
mkdir -p "$root/.pulumi"

step "selecting stack $stack on $PULUMI_BACKEND_URL"
pulumi stack select --create "$stack" --non-interactive

if [ "${1:-}" = "--preview" ]; then
    shift
    step "pulumi preview --stack $stack"
    pulumi preview --stack "$stack" --non-interactive "$@"
    step "done"
    exit 0
fi

# The pinned provider (v4.25.0) writes a manifest only when its object changes (later releases
# always render, pulumi-kubernetes#4121), so a stack whose render folder was removed would
# render nothing. Render-mode state describes nothing but those files: start it afresh.
previous=$(pulumi stack output renderDirectory --stack "$stack" 2>/dev/null || true)
if [ -n "$previous" ] && [ -z "$(find "$previous" -name '*.yaml' -print -quit 2>/dev/null)" ]; then
    step "$previous has no manifests left: clearing the stack's render state (pulumi destroy) to render everything again"
    pulumi destroy --stack "$stack" --yes --non-interactive --skip-preview >/dev/null
fi

step "pulumi up --stack $stack"
pulumi up --stack "$stack" --yes --non-interactive "$@"
outputs=$(pulumi stack output --stack "$stack" --json)
node -r ts-node/register/transpile-only stacks/summary.ts "$stack" "$outputs" "$(( $(date +%s) - started ))"
