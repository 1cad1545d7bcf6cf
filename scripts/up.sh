#!/usr/bin/env bash
# Runs one environment of ztmesh: `pulumi up` of stack $1 (default: dev) on a local file
# backend inside the project (.pulumi/, git-ignored). Extra arguments go to `pulumi up`;
# `--preview` runs `pulumi preview` instead.
#
# The dev stack uses an empty passphrase for its secrets (the self-signed key): dev only.
# Production stacks set PULUMI_CONFIG_PASSPHRASE (or a KMS secrets provider) and a shared
# backend (PULUMI_BACKEND_URL=s3://..., gs://..., azblob://..., or Pulumi Cloud).
set -euo pipefail

stack="${1:-dev}"
shift || true
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
started=$(date +%s)
step() { echo "[up +$(( $(date +%s) - started ))s] $*"; }

if ! command -v pulumi >/dev/null 2>&1; then
    echo "error: the Pulumi CLI is not on PATH. Install it (https://www.pulumi.com/docs/install/) and run this again." >&2
    exit 127
fi

if [ ! -d node_modules ]; then
    step "installing dependencies (npm ci)"
    npm ci --no-audit --no-fund
fi

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$root/.pulumi}"
if [ "$stack" = "dev" ]; then
    export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
fi
mkdir -p "$root/.pulumi"

step "selecting stack $stack on $PULUMI_BACKEND_URL"
pulumi stack select --create "$stack" --non-interactive

if [ "${1:-}" = "--preview" ]; then
    shift
    step "pulumi preview --stack $stack"
    pulumi preview --stack "$stack" --non-interactive "$@"
else
    step "pulumi up --stack $stack"
    pulumi up --stack "$stack" --yes --non-interactive "$@"
fi
step "done"
