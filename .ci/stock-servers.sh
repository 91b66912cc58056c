#!/usr/bin/env bash
# Installs the stock DNS servers the end-to-end suite (tests/e2e) runs against:
# Debian's NSD (authoritative) and Unbound (recursive). Does nothing when both
# are already installed. The suite starts them itself, on loopback ports, with
# configuration generated under a temporary directory; the packages' own
# system services are not used (they are stopped if the package started them).
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

if have nsd && have unbound && have nsd-checkconf && have unbound-checkconf; then
    echo "nsd and unbound already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install nsd and unbound" >&2; exit 1; }
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends nsd unbound

# Package installation may start the system services on port 53; the suite
# never uses them, so stop them where a service manager is present.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl stop nsd unbound 2>/dev/null || true
fi

have nsd && have unbound || { echo "nsd/unbound still missing after apt-get install" >&2; exit 1; }
echo "installed: $(/usr/sbin/nsd -v 2>&1 | head -1); unbound $(/usr/sbin/unbound -V | head -1)"
