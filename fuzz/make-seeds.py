#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/seeds/ from the project's own test data.

Run from anywhere, with a built `ptr-audit` (target/debug or target/release)
and NSD installed (`.ci/apt-packages`):

    python3 fuzz/make-seeds.py

- zone_file: every zone file of tests/e2e-zones/zones, inventories/example/zones
  and tests/zone-reader
  (first line: the origin, as the target reads it);
- inventory: every inventory of tests/ and inventories/;
- judge: rows of tests/corpus/names.tsv, with the provider templates of the
  example inventories;
- report_read, fix: small json and jsonl reports written by `ptr-audit scan
  --zones` (one shard of each inventory, so the seeds stay a few KB);
- report_lean: record lines of those json reports;
- checkpoint: those jsonl reports, whole and with the last line torn;
- dns_reply: NSD's replies (PTR, A, AAAA, with and without EDNS) for addresses
  and names of the e2e fixture, NSD serving tests/e2e-zones/zones on loopback.
"""

import hashlib
import json
import os
import pathlib
import random
import shutil
import socket
import struct
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"


def put(target, name, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def origin_of(path):
    for line in path.read_text().splitlines():
        t = line.split()
        if t and t[0] == "$ORIGIN":
            return t[1]
        if t and not t[0].startswith((";", "$")):
            break
    return path.name[: -len(".zone")]


def binary():
    for kind in ("release", "debug"):
        p = ROOT / "target" / kind / "ptr-audit"
        if p.exists():
            return p
    raise SystemExit("build ptr-audit first (cargo build)")


def zone_seeds():
    zdirs = ("tests/e2e-zones/zones", "inventories/example/zones", "tests/zone-reader")
    for zdir in (ROOT / d for d in zdirs):
        for z in sorted(zdir.glob("*.zone")):
            put("zone_file", z.name, origin_of(z) + "\n" + z.read_text())


def inventory_seeds():
    files = [ROOT / "tests/e2e-zones/inventory.yaml", ROOT / "inventories/example/inventory.yaml"]
    files += sorted(p for p in (ROOT / "tests/fixtures/inventories").rglob("*") if p.is_file())
    for f in files:
        put("inventory", str(f.relative_to(ROOT)).replace("/", "_"), f.read_text())


def judge_seeds():
    templates = ["{ip-dashed}.host.examplehost.net", "{ip-dashed}-{dc}.examplehost.net"]
    rows = [
        l.split("\t")
        for l in (ROOT / "tests/corpus/names.tsv").read_text().splitlines()
        if l and not l.startswith("#")
    ]
    for i, row in enumerate(rows[::6]):
        line = f"{row[0]}\t{row[1]}"
        if i % 3 == 0:
            line += f"\t{templates[i % 2]}\tfra1"
        put("judge", f"names-{i:03}", line + "\n")


def report_seeds():
    exe = binary()
    cases = [
        ("e2e", ROOT / "tests/e2e-zones/inventory.yaml", ROOT / "tests/e2e-zones/zones"),
        ("example", ROOT / "inventories/example/inventory.yaml", ROOT / "inventories/example/zones"),
    ]
    for name, inv, zones in cases:
        for shard in ("1/24", "2/24", "3/24", "5/24", "8/24"):
            for fmt in ("json", "jsonl"):
                out = subprocess.run(
                    [str(exe), "scan", str(inv), "--zones", str(zones), "--format", fmt,
                     "--quiet", "--shard", shard, "--fail-on", "never"],
                    cwd=ROOT, capture_output=True, text=True, check=True,
                ).stdout
                # The inventory path in the envelope: relative, as a user runs it.
                out = out.replace(str(ROOT) + "/", "")
                tag = f"{name}-{shard.replace('/', 'of')}.{fmt}"
                put("report_read", tag, out)
                put("fix", tag, out)
                if fmt == "jsonl":
                    put("checkpoint", tag, out)
                    put("checkpoint", tag + "-torn", out[: len(out) - 30])
                if fmt == "json":
                    for i, line in enumerate(l for l in out.splitlines() if l.startswith('    {"ip"')):
                        put("report_lean", f"{tag}-{i:02}", line.strip().rstrip(","))
    return cases


def dns_seeds():
    nsd = shutil.which("nsd") or "/usr/sbin/nsd"
    zones = ROOT / "tests/e2e-zones/zones"
    run = pathlib.Path(tempfile.mkdtemp(prefix="ptr-audit-seeds-"))
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    conf = run / "nsd.conf"
    text = (
        f"server:\n  ip-address: 127.0.0.1@{port}\n  do-ip6: no\n  server-count: 1\n"
        f'  username: ""\n  chroot: ""\n  database: ""\n  zonelistfile: "{run}/zone.list"\n'
        f'  xfrdfile: "{run}/xfrd.state"\n  xfrdir: "{run}"\n  pidfile: "{run}/nsd.pid"\n'
        f'  logfile: "{run}/nsd.log"\n  zonefiles-write: 0\n  rrl-ratelimit: 0\n'
        "remote-control:\n  control-enable: no\n"
    )
    for z in sorted(zones.glob("*.zone")):
        text += f'zone:\n  name: "{origin_of(z)}"\n  zonefile: "{z}"\n'
    conf.write_text(text)
    daemon = subprocess.Popen([nsd, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(0.5)
        rng = random.Random(12)

        def ask(name, qtype, edns):
            qid = rng.randrange(65536)
            q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
            for label in name.rstrip(".").split("."):
                q += bytes([len(label)]) + label.encode()
            q += b"\0" + struct.pack(">HH", qtype, 1)
            if edns:
                q += b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
            for _ in range(40):
                sock.sendto(q, ("127.0.0.1", port))
                try:
                    return sock.recv(65535)
                except socket.timeout:
                    continue
            raise SystemExit(f"nsd did not answer {name}; see {run}/nsd.log")

        questions = []
        for line in (ROOT / "tests/e2e-zones/expected.tsv").read_text().splitlines():
            if not line or line.startswith("#"):
                continue
            ip = line.split("\t")[0]
            try:
                packed = socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
            except OSError:
                continue
            if len(packed) == 4:
                rev = ".".join(str(b) for b in reversed(packed)) + ".in-addr.arpa."
            else:
                rev = ".".join(f"{n:x}" for b in reversed(packed) for n in (b & 15, b >> 4)) + ".ip6.arpa."
            questions.append((rev, 12))
        for z in sorted(zones.glob("*.zone")):
            for line in z.read_text().splitlines():
                t = line.split()
                if len(t) >= 3 and t[-2] == "PTR":
                    questions.append((t[-1], 1))
                    questions.append((t[-1], 28))
        seen = set()
        for i, (name, qtype) in enumerate(questions):
            reply = ask(name, qtype, i % 2 == 0)
            # One seed per distinct reply shape (the ID aside).
            key = hashlib.sha1(reply[2:]).hexdigest()
            if key in seen:
                continue
            seen.add(key)
            put("dns_reply", f"nsd-{len(seen):03}", reply)
            if len(seen) >= 60:
                break
    finally:
        daemon.terminate()
        daemon.wait()
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    for t in ("zone_file", "inventory", "judge", "report_read", "fix", "report_lean",
              "checkpoint", "dns_reply"):
        shutil.rmtree(SEEDS / t, ignore_errors=True)
    zone_seeds()
    inventory_seeds()
    judge_seeds()
    report_seeds()
    dns_seeds()
    for d in sorted(SEEDS.iterdir()):
        files = list(d.iterdir())
        print(f"{d.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")
