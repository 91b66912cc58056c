#!/usr/bin/env bash
# Checks action.yml with actionlint the way it reads a repository that uses
# it: a scratch repository holding the action and docs/examples/action-workflow.yml
# as its workflow (actionlint checks a local action's inputs and metadata only
# inside a project with .github/workflows). Then shows the check can fail: a
# misspelt input must be reported.
set -euo pipefail
cd "$(dirname "$0")/../.."

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/.github/workflows"
cp action.yml "$scratch/"
cp docs/examples/action-workflow.yml "$scratch/.github/workflows/ptr-audit.yml"
git -C "$scratch" init -q

actionlint -version | head -n 1
(cd "$scratch" && actionlint)
echo "actionlint: action.yml and the example workflow are clean"

sed -i 's/^\( *\)inventory:/\1inventroy:/' "$scratch/.github/workflows/ptr-audit.yml"
if (cd "$scratch" && actionlint >/dev/null); then
    echo "actionlint accepted a misspelt input of the action" >&2
    exit 1
fi
echo "actionlint: a misspelt input is reported"
