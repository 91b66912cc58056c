#!/usr/bin/env python3
"""Writes a large valid inventory for timing `ptr-audit validate`.

Usage: bench/gen_inventory.py BLOCKS > big.yaml

BLOCKS /24 blocks spread over 20 datacenters (10.0.0.0/8 onwards), every
third with an `expect_ptr` template and an `exclude`, every tenth `reserved`,
plus one assignment per 10 blocks and a sampled IPv6 /48 per datacenter.
Then: cargo build --release && hyperfine 'target/release/ptr-audit validate big.yaml'
"""
import sys

blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
dcs = 20
out = sys.stdout
out.write("version: 1\nprovider:\n  name: Bench Hosting\n  domains: [bench.example]\n")
out.write('  default_ptr: ["{ip-dashed}.host.bench.example"]\n')
out.write("datacenters:\n")
per_dc = (blocks + dcs - 1) // dcs
assignments = []
n = 0
for d in range(dcs):
    out.write(f"  - name: dc{d}\n    status: active\n    blocks:\n")
    out.write(f"      - cidr: 2001:db8:{d:x}::/48\n        policy: hosting\n")
    out.write("        sample: {per_subnet: /64, first: 1, offset: 1}\n")
    for _ in range(per_dc):
        if n >= blocks:
            break
        a, b = 10 + n // 65536, (n // 256) % 256
        c = n % 256
        net = f"{a}.{b}.{c}"
        policy = "reserved" if n % 10 == 9 else ("mail" if n % 2 else "hosting")
        out.write(f"      - cidr: {net}.0/24\n        policy: {policy}\n")
        if n % 3 == 0:
            out.write('        expect_ptr: "h{d}.{datacenter}.bench.example"\n')
            out.write(f"        exclude: [{net}.0/31, {net}.255]\n")
        if n % 10 == 0:
            assignments.append((f"{net}.7", f"mx{n}.customer.example"))
        n += 1
out.write("assignments:\n")
for ip, ptr in assignments:
    out.write(f"  - ip: {ip}\n    ptr: {ptr}\n")
