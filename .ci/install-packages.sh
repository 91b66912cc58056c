#!/usr/bin/env bash
# Installs every Debian package listed in .ci/apt-packages in one apt call.
# No package may start its service: a policy-rc.d that refuses every start is
# in place during the install (Debian's documented switch, invoke-rc.d(8)),
# and any daemon a package started anyway is stopped afterwards. The tests
# run their own instances on loopback ports with generated configurations.
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install packages" >&2; exit 1; }
    SUDO="sudo"
fi

mapfile -t PACKAGES < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' apt-packages)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    policy=/usr/sbin/policy-rc.d
    restore=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
        $SUDO chmod 755 "$policy"
        restore="yes"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
    [ -n "$restore" ] && $SUDO rm -f "$policy"
else
    echo "all ${#PACKAGES[@]} packages already installed"
fi

# Stop whatever a package's service manager started anyway.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    for unit in nsd unbound named bind9 knot pdns rbldnsd rbldnsd.socket spamd spamassassin rspamd redis-server; do
        $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
fi
for daemon in nsd unbound named knotd pdns_server rbldnsd spamd rspamd redis-server; do
    if pgrep -x "$daemon" >/dev/null 2>&1; then
        echo "stopping $daemon started by its package"
        $SUDO pkill -x "$daemon" || true
    fi
done

# Debian and Ubuntu confine /usr/sbin/unbound with an AppArmor profile that
# only lets it read /etc/unbound; the tests' configuration lives in a temporary
# directory, so where AppArmor is on, that profile is disabled the documented
# way (/etc/apparmor.d/disable/).
profile=/etc/apparmor.d/usr.sbin.unbound
if [ -f "$profile" ] && [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = "Y" ]; then
    echo "AppArmor is on: disabling the unbound profile for the tests"
    $SUDO mkdir -p /etc/apparmor.d/disable
    $SUDO ln -sf "$profile" /etc/apparmor.d/disable/usr.sbin.unbound
    command -v apparmor_parser >/dev/null 2>&1 && { $SUDO apparmor_parser -R "$profile" 2>/dev/null || true; }
fi
