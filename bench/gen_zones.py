#!/usr/bin/env python3
"""Writes the benchmark's zones: a reverse zone per /24 of a block (default
10.0.0.0/16, zone data only: nothing is ever sent to these addresses), the
forward zones for every PTR target, an NSD config, and the address list.

Deterministic for a given --seed. Mix: 70% custom names with a forward A
record (5% of them pointing elsewhere), 15% generic names, 15% no PTR.
"""
import argparse
import ipaddress
import json
import os
import random

SOA = "@ 3600 IN SOA ns.bench.example. hostmaster.bench.example. 1 3600 600 86400 60\n@ 3600 IN NS ns.bench.example.\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--block", default="10.0.0.0/16")
    ap.add_argument("--out", default="/tmp/ptr-audit-bench/data")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--port", type=int, default=5353)
    ap.add_argument("--adns-addr", default="127.0.0.3")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    net = ipaddress.ip_network(a.block)
    assert net.version == 4 and net.prefixlen <= 24
    zdir = os.path.join(a.out, "zones")
    os.makedirs(zdir, exist_ok=True)
    fwd = {"customers.example": [], "provider.example": []}
    counts = {"ptr": 0, "nxdomain": 0, "generic": 0, "mismatch": 0}
    zones = []
    with open(os.path.join(a.out, "ips.txt"), "w") as ips:
        for sub in net.subnets(new_prefix=24):
            o = str(sub.network_address).split(".")
            origin = f"{o[2]}.{o[1]}.{o[0]}.in-addr.arpa"
            lines = [f"$ORIGIN {origin}.\n", SOA]
            for ip in sub:
                ips.write(f"{ip}\n")
                r = rng.random()
                last = str(ip).split(".")[3]
                if r < 0.15:
                    counts["nxdomain"] += 1
                    continue
                counts["ptr"] += 1
                if r < 0.30:
                    counts["generic"] += 1
                    host = f"{str(ip).replace('.', '-')}.host"
                    lines.append(f"{last} 3600 IN PTR {host}.provider.example.\n")
                    fwd["provider.example"].append(f"{host} 3600 IN A {ip}\n")
                else:
                    host = f"mail{int(ip) % 7}.c{int(ip) // 4}"
                    lines.append(f"{last} 3600 IN PTR {host}.customers.example.\n")
                    target = ip
                    if rng.random() < 0.05:
                        counts["mismatch"] += 1
                        target = ipaddress.ip_address(int(ip) ^ 1)
                    fwd["customers.example"].append(f"{host} 3600 IN A {target}\n")
            with open(os.path.join(zdir, f"{origin}.zone"), "w") as f:
                f.writelines(lines)
            zones.append(origin)
    for origin, recs in fwd.items():
        with open(os.path.join(zdir, f"{origin}.zone"), "w") as f:
            f.write(f"$ORIGIN {origin}.\n" + SOA)
            f.writelines(recs)
        zones.append(origin)
    with open(os.path.join(a.out, "nsd.conf"), "w") as f:
        f.write(f"""server:
  ip-address: 127.0.0.1@{a.port}
  ip-address: {a.adns_addr}@53
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "{zdir}"
  database: ""
  zonelistfile: "{a.out}/zone.list"
  xfrdfile: "{a.out}/xfrd.state"
  pidfile: "{a.out}/nsd.pid"
  logfile: "{a.out}/nsd.log"
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
""")
        for z in zones:
            f.write(f"zone:\n  name: \"{z}\"\n  zonefile: \"{z}.zone\"\n")
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump({"block": a.block, "addresses": net.num_addresses, **counts}, f)
    print(json.dumps({"block": a.block, "addresses": net.num_addresses, **counts}))


if __name__ == "__main__":
    main()
