#!/usr/bin/env bash
# The step of action.yml that runs ptr-audit. The inputs come in as
# environment variables (never pasted into the script, so a value cannot run
# code); lists are split on spaces without glob expansion.
set -uo pipefail

read -r -a inventory <<< "$PTR_AUDIT_INVENTORY"
read -r -a args <<< "$PTR_AUDIT_ARGS"
case "$PTR_AUDIT_COMMAND" in
    validate)
        # file:line:column: error|warning: message -> annotations
        echo "::add-matcher::$GITHUB_ACTION_PATH/pkg/github/validate-matcher.json"
        ptr-audit validate --color never "${inventory[@]}" "${args[@]}"
        code=$?
        echo "::remove-matcher owner=ptr-audit-validate::"
        ;;
    scan)
        sarif=()
        [ -n "$PTR_AUDIT_SARIF" ] && sarif=(--output "sarif=$PTR_AUDIT_SARIF")
        ptr-audit scan "${inventory[@]}" --format github --quiet "${sarif[@]}" "${args[@]}"
        code=$?
        ;;
    *)
        echo "::error::the command input must be \`validate\` or \`scan\`, not \`$PTR_AUDIT_COMMAND\`"
        code=2
        ;;
esac
echo "exit-code=$code" >> "$GITHUB_OUTPUT"
exit "$code"
