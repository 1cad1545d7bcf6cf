#!/usr/bin/env bash
# `npm run diff -- --stack <name> --base <git-ref>`: the connectivity diff of a stack between the
# base revision and the working tree, as a pull-request comment (stacks/diff.ts). This wrapper
# only finds the Pulumi CLI (scripts/usePulumi.sh); progress goes to standard error, so that
# standard output is the comment alone.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
started=$(date +%s)
step() { echo "[diff +$(( $(date +%s) - started ))s] $*" >&2; }

case " $* " in
    *" -h "* | *" --help "*) ;;
    # shellcheck source=scripts/usePulumi.sh
    *) source "$root/scripts/usePulumi.sh" ;;
esac
exec node -r ts-node/register/transpile-only "$root/stacks/diff.ts" "$@"
