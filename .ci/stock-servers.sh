#!/usr/bin/env bash
# Installs the stock DNS servers the end-to-end suite (tests/e2e) runs against:
# Debian's NSD (authoritative) and Unbound (recursive). Does nothing when both
# are already installed. The suite starts them itself, on loopback ports, with
# configuration generated under a temporary directory; the packages' own
# system services are not used (they are stopped if the package started them).
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi

# Debian and Ubuntu confine /usr/sbin/unbound with an AppArmor profile that
# only lets it read /etc/unbound and /var/lib/unbound; the suite's generated
# configuration lives in a temporary directory, so on a machine where AppArmor
# is on, the profile is disabled the documented way (/etc/apparmor.d/disable/).
relax_apparmor() {
    local profile=/etc/apparmor.d/usr.sbin.unbound
    [ -f "$profile" ] || return 0
    [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = "Y" ] || return 0
    echo "AppArmor is on: disabling the unbound profile for the end-to-end suite"
    $SUDO mkdir -p /etc/apparmor.d/disable || return 0
    $SUDO ln -sf "$profile" /etc/apparmor.d/disable/usr.sbin.unbound || return 0
    if command -v apparmor_parser >/dev/null 2>&1; then
        $SUDO apparmor_parser -R "$profile" 2>/dev/null || true
    fi
}

if have nsd && have unbound && have nsd-checkconf && have unbound-checkconf; then
    echo "nsd and unbound already installed"
    relax_apparmor
    exit 0
fi

if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    echo "need root (or sudo) to install nsd and unbound" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends nsd unbound

# Package installation may start the system services on port 53; the suite
# never uses them, so stop them where a service manager is present.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl stop nsd unbound 2>/dev/null || true
fi

relax_apparmor

have nsd && have unbound || { echo "nsd/unbound still missing after apt-get install" >&2; exit 1; }
echo "installed: $(/usr/sbin/nsd -v 2>&1 | head -1); unbound $(/usr/sbin/unbound -V | head -1)"
