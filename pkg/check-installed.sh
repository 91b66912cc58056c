#!/usr/bin/env bash
# Checks an installed ptr-audit package the way a user meets it: the binary on
# PATH, a man page per subcommand, and bash completing `ptr-audit sc` to `scan`
# through bash-completion's own loader (so the script is where bash looks).
set -euo pipefail

ptr-audit --version
[ "$(command -v ptr-audit)" = /usr/bin/ptr-audit ] \
    || { echo "ptr-audit on PATH is $(command -v ptr-audit), not /usr/bin/ptr-audit" >&2; exit 1; }
man -w ptr-audit
man -w ptr-audit-scan
test -f /usr/share/zsh/vendor-completions/_ptr-audit
test -f /usr/share/fish/vendor_completions.d/ptr-audit.fish
test -f /usr/share/doc/ptr-audit/examples/inventory.yaml
ptr-audit validate /usr/share/doc/ptr-audit/examples/inventory.yaml >/dev/null

completed=$(bash --norc --noprofile -c '
    source /usr/share/bash-completion/bash_completion
    _comp_load ptr-audit 2>/dev/null || _completion_loader ptr-audit
    spec=$(complete -p ptr-audit)
    fn=${spec#*-F }; fn=${fn%% *}
    COMP_WORDS=(ptr-audit sc); COMP_CWORD=1
    COMP_LINE="ptr-audit sc"; COMP_POINT=${#COMP_LINE}
    "$fn" ptr-audit sc ptr-audit
    printf "%s\n" "${COMPREPLY[@]}"
')
echo "bash completes \`ptr-audit sc\` to: $completed"
[ "$completed" = scan ] || { echo "expected exactly \`scan\`" >&2; exit 1; }
