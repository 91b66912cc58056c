#!/usr/bin/env bash
# Same bytes before and after (issue 13): runs two ptr-audit binaries on the
# same inputs and compares every output byte for byte, so a refactor can be
# shown to change nothing a user sees.
#
#   bench/same-bytes.sh OLD_BIN NEW_BIN
#
# Cases, all offline against the embedded DNS server (`--zones`):
#   example   the bundled example inventory, every --output format, stderr
#             and exit code, then `fix --as bind|nsupdate|csv` and `render`
#             of its json report;
#   slash20   a generated /20 (two datacenters, a migration, mail and hosting
#             blocks, an expect_ptr template), every format, plus an
#             interrupted-and-resumed checkpoint;
#   auth20    the /20 with `--authoritative` against three NSD instances on
#             one port (when nsd is installed): 127.0.0.1 serves every zone
#             and is the resolver, 127.0.0.3 the reverse zones with some PTRs
#             changed (ptr-inconsistent), 127.0.0.2 only the name servers'
#             zone (REFUSED: lame); every format, interrupted and resumed, and
#             once without `--allow-special-nameservers` (all skipped);
#   merged16  a generated /16 scanned as 4 shards and merged, every format,
#             on merge's streamed path and on its full path (shards
#             re-indented, which forces it), and json on stdout (the streamed
#             path's line copy, alone and beside a sarif file);
#   classify  `classify` over every PTR name of the /16's zones.
# Scans run one query at a time (`--concurrency 1`), so records come in the
# visiting order (authoritative mode delivers in visiting order anyway). What still differs between two runs of one binary is masked:
# timestamps, durations and rates, the tool version, and `attempts` (a UDP
# packet lost on a busy machine is retried). Prints one line per compared file and exits 1 on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { sed -n '2,24p' "$0"; exit 2; }
OLD=$(realpath "$1")
NEW=$(realpath "$2")
OUT="${OUT:-/tmp/ptr-audit-same-bytes}"
rm -rf "$OUT"
mkdir -p "$OUT/old" "$OUT/new"
DATA="$OUT/data"
python3 bench/gen_zones.py --block 10.0.0.0/16 --out "$DATA" >/dev/null
ZONES="$DATA/zones"
FORMATS=(json jsonl csv markdown sarif junit github html)

cat >"$DATA/slash20.yaml" <<'YAML'
version: 1
provider:
  name: Same Bytes Hosting
  domains: [provider.example]
  default_ptr: ["{ip-dashed}.host.provider.example"]
datacenters:
  - name: fra1
    status: migrated
    migrated_from: c41943
    migrated_at: 2026-10-01
    blocks:
      - cidr: 10.0.0.0/22
        policy: mail
        expect_ptr: "mail{d}.c{c}.customers.example"
      - cidr: 10.0.4.0/22
        policy: hosting
  - name: ams3
    status: active
    blocks:
      - cidr: 10.0.8.0/21
        policy: hosting
        exclude: [10.0.15.0/24]
assignments:
  - ip: 10.0.0.9
    ptr: mail.customer-a.example
YAML

outputs() { # dir prefix -> --output flags for every format
  local f
  for f in "${FORMATS[@]}"; do printf -- '--output\n%s=%s/%s.%s\n' "$f" "$1" "$2" "$f"; done
}

run_case() { # side bin
  local side=$1 bin=$2 d="$OUT/$1" rc
  local common=(--zones "$ZONES" --qps 0 --concurrency 1 --timeout 10s --color never)
  # example
  mapfile -t o < <(outputs "$d" example)
  rc=0; "$bin" scan --zones inventories/example/zones inventories/example/inventory.yaml \
    --color never --concurrency 1 --timeout 10s "${o[@]}" >"$d/example.stdout" 2>"$d/example.stderr" || rc=$?
  echo "$rc" >"$d/example.rc"
  for as in bind nsupdate csv; do
    rc=0; "$bin" fix "$d/example.json" --as "$as" >"$d/example.fix-$as" 2>&1 || rc=$?
    echo "$rc" >>"$d/example.fix-$as"
  done
  "$bin" render "$d/example.json" -o "$d/example.render.html" 2>"$d/example.render.stderr" || true
  # slash20: full, interrupted + resumed checkpoint, authoritative
  mapfile -t o < <(outputs "$d" slash20)
  rc=0; "$bin" scan "$DATA/slash20.yaml" "${common[@]}" "${o[@]}" \
    >"$d/slash20.stdout" 2>"$d/slash20.stderr" || rc=$?
  echo "$rc" >"$d/slash20.rc"
  head -n 1500 "$d/slash20.jsonl" >"$d/slash20.checkpoint"
  rc=0; "$bin" scan "$DATA/slash20.yaml" "${common[@]}" --quiet \
    --checkpoint "$d/slash20.checkpoint" --resume --output "json=$d/slash20.resumed.json" \
    >/dev/null 2>"$d/slash20.resumed.stderr" || rc=$?
  echo "$rc" >"$d/slash20.resumed.rc"
  # auth20: --authoritative, NSD started once for both sides (auth_setup)
  if [ -n "${AUTH_PORT:-}" ]; then
    local auth=(--resolver "127.0.0.1:$AUTH_PORT" --authoritative --authoritative-port "$AUTH_PORT"
      --qps 0 --concurrency 64 --timeout 2s --attempts 2 --color never)
    mapfile -t o < <(outputs "$d" auth20)
    rc=0; "$bin" scan "$DATA/slash20.yaml" "${auth[@]}" --allow-special-nameservers "${o[@]}" \
      >"$d/auth20.stdout" 2>"$d/auth20.stderr" || rc=$?
    echo "$rc" >"$d/auth20.rc"
    head -n 1500 "$d/auth20.jsonl" >"$d/auth20.checkpoint"
    rc=0; "$bin" scan "$DATA/slash20.yaml" "${auth[@]}" --allow-special-nameservers --quiet \
      --checkpoint "$d/auth20.checkpoint" --resume --output "json=$d/auth20.resumed.json" \
      >/dev/null 2>"$d/auth20.resumed.stderr" || rc=$?
    echo "$rc" >"$d/auth20.resumed.rc"
    rc=0; "$bin" scan "$DATA/slash20.yaml" "${auth[@]}" --output "json=$d/auth20.special.json" \
      >"$d/auth20.special.stdout" 2>"$d/auth20.special.stderr" || rc=$?
    echo "$rc" >"$d/auth20.special.rc"
  fi
  # merged16: 4 shards, merged on the streamed and on the full path
  local shards=() loose=()
  for k in 1 2 3 4; do
    "$bin" scan 10.0.0.0/16 "${common[@]}" --quiet --fail-on never --shard "$k/4" \
      --output "json=$d/shard-$k.json" >/dev/null 2>"$d/shard-$k.stderr"
    shards+=("$d/shard-$k.json")
    python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2],"w"), indent=1)' \
      "$d/shard-$k.json" "$d/loose-$k.json"
    loose+=("$d/loose-$k.json")
  done
  mapfile -t o < <(outputs "$d" merged16)
  rc=0; "$bin" merge "${shards[@]}" "${o[@]}" >"$d/merged16.stdout" 2>"$d/merged16.stderr" || rc=$?
  echo "$rc" >"$d/merged16.rc"
  # the streamed path's json copy: stdout only (record lines copied, the
  # placeholder tally on a second thread), and stdout beside a file
  rc=0; "$bin" merge "${shards[@]}" >"$d/merged16-copy.json" 2>"$d/merged16-copy.stderr" || rc=$?
  echo "$rc" >"$d/merged16-copy.rc"
  rc=0; "$bin" merge "${shards[@]}" --format json --output "sarif=$d/merged16-mixed.sarif" \
    >"$d/merged16-mixed.json" 2>"$d/merged16-mixed.stderr" || rc=$?
  echo "$rc" >"$d/merged16-mixed.rc"
  mapfile -t o < <(outputs "$d" merged16-full)
  rc=0; "$bin" merge "${loose[@]}" "${o[@]}" >"$d/merged16-full.stdout" 2>"$d/merged16-full.stderr" || rc=$?
  echo "$rc" >"$d/merged16-full.rc"
  rm -f "$d"/loose-*.json
  # classify
  awk '$4 == "PTR" { split(FILENAME, p, "/"); z = p[length(p)]; sub(/\.in-addr\.arpa\.zone$/, "", z);
       n = split(z, o, "."); printf "%s.%s.%s.%s\t%s\n", o[3], o[2], o[1], $1, $5 }' "$ZONES"/*.in-addr.arpa.zone \
    >"$d/classify.in"
  rc=0; "$bin" classify <"$d/classify.in" >"$d/classify.out" 2>&1 || rc=$?
  echo "$rc" >>"$d/classify.out"
  rm -f "$d/classify.in"
}

auth_setup() { # three NSD instances on one port for auth20; sets AUTH_PORT
  command -v nsd >/dev/null && command -v dig >/dev/null || {
    echo "auth20 skipped: nsd or dig is not installed" >&2; return 0; }
  local port i dir z ns='@ 3600 IN NS ns1.auth.example.\n@ 3600 IN NS ns2.auth.example.\n@ 3600 IN NS ns3.auth.example.'
  port=$(python3 -c 'import socket
for _ in range(50):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    try:
        for a in ("127.0.0.2", "127.0.0.3"):
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind((a, p))
        print(p); break
    except OSError: pass')
  for i in 1 2 3; do
    dir="$DATA/auth$i"; mkdir -p "$dir"
    printf '$ORIGIN auth.example.\n@ 3600 IN SOA ns1.auth.example. hostmaster.auth.example. 1 3600 600 86400 60\n%b\nns1 IN A 127.0.0.1\nns2 IN A 127.0.0.2\nns3 IN A 127.0.0.3\n' "$ns" >"$dir/auth.example.zone"
    local zones=(auth.example)
    if [ "$i" != 2 ]; then
      for z in "$ZONES"/*.zone; do
        z=$(basename "$z" .zone)
        sed "s/^@ 3600 IN NS ns.bench.example.$/$ns/" "$ZONES/$z.zone" >"$dir/$z.zone"
        zones+=("$z")
      done
      # the second copy disagrees about every address ending in 7
      [ "$i" = 3 ] && sed -i 's/^\([0-9]*7\) 3600 IN PTR .*/\1 3600 IN PTR changed.customers.example./' "$dir"/*.in-addr.arpa.zone
    fi
    { printf 'server:\n  ip-address: 127.0.0.%s@%s\n  server-count: 1\n  username: ""\n  chroot: ""\n' "$i" "$port"
      printf '  zonesdir: "%s"\n  database: ""\n  zonelistfile: "%s/zone.list"\n  xfrdfile: "%s/xfrd.state"\n' "$dir" "$dir" "$dir"
      printf '  pidfile: "%s/nsd.pid"\n  logfile: "%s/nsd.log"\n  rrl-ratelimit: 0\n  verbosity: 0\n' "$dir" "$dir"
      printf 'remote-control:\n  control-enable: no\n'
      for z in "${zones[@]}"; do printf 'zone:\n  name: "%s"\n  zonefile: "%s.zone"\n' "$z" "$z"; done
    } >"$dir/nsd.conf"
    nsd -c "$dir/nsd.conf" -P "$dir/nsd.pid"
    AUTH_PIDS+=("$dir/nsd.pid")
    for _ in $(seq 100); do
      dig +short +tries=1 +time=1 -p "$port" "@127.0.0.$i" SOA auth.example >/dev/null 2>&1 && break
    done
  done
  AUTH_PORT=$port
}
AUTH_PIDS=()
trap 'for p in "${AUTH_PIDS[@]}"; do kill "$(cat "$p")" 2>/dev/null || true; done' EXIT
auth_setup

run_case old "$OLD"
run_case new "$NEW"

python3 - "$OUT" <<'PY'
import os, re, sys
out = sys.argv[1]
stamp = re.compile(rb'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)')
masks = [
    (re.compile(rb'"attempts":\d+'), b'"attempts":<n>'),
    (re.compile(rb'timestamp="[^"]*"|time="[^"]*"'), b'<time>'),
    (re.compile(rb'[\d,]+/s\b'), b'<rate>/s'),
]
version = re.compile(rb'("(tool_version|version)"\s*:\s*")[^"]*(")|(ptr-audit )\d+\.\d+\.\d+\S*')
unordered = re.compile(r'^slash20\.checkpoint$')
def load(path, name):
    data = stamp.sub(b'<time>', open(path, 'rb').read())
    for pattern, repl in masks:
        data = pattern.sub(repl, data)
    data = version.sub(lambda m: (m.group(1) + b'<v>' + m.group(3)) if m.group(1) else m.group(4) + b'<v>', data)
    if name.endswith('.csv'):  # the attempts column, found by its header
        rows = data.split(b'\n')
        col = rows[0].split(b',').index(b'attempts') if b'attempts' in rows[0].split(b',') else None
        if col is not None:
            rows = [rows[0]] + [b','.join(f if i != col else b'<n>' for i, f in enumerate(r.split(b','))) if r else r
                                for r in rows[1:]]
            data = b'\n'.join(rows)
    if unordered.match(name):
        lines = data.split(b'\n')
        head = lines[:1] if name.endswith('.csv') else []
        data = b'\n'.join(head + sorted(lines[len(head):]))
    return data
names = sorted(set(os.listdir(f"{out}/old")) | set(os.listdir(f"{out}/new")))
bad = 0
for n in names:
    a, b = f"{out}/old/{n}", f"{out}/new/{n}"
    if not (os.path.exists(a) and os.path.exists(b)):
        print(f"MISSING {n}"); bad += 1; continue
    x, y = load(a, n), load(b, n)
    if x == y:
        print(f"same     {n} ({len(x)} bytes)")
    else:
        bad += 1
        i = next((i for i in range(min(len(x), len(y))) if x[i] != y[i]), min(len(x), len(y)))
        print(f"DIFFERS  {n} at byte {i}: old {x[max(0,i-60):i+60]!r}\n                      new {y[max(0,i-60):i+60]!r}")
print(f"{len(names) - bad} of {len(names)} files the same" + ("" if not bad else f", {bad} differ"))
sys.exit(1 if bad else 0)
PY
