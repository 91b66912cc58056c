#!/usr/bin/env bash
# Shard benchmark (issue 7): one /16 scan at full speed against NSD on loopback,
# then the same scope as 4 shards run one after another and merged. Prints the
# merged run's total time (shard scans + merge) against the single run's, the
# merge's own time, and peak memory per process. Every round checks that the
# merged report has the single scan's summary, block findings and records
# (compared without `attempts`, the retry count).
#
#   bench/shards.sh            # 10.0.0.0/16, 3 rounds, 4 shards
#   SHARDS=8 RUNS=5 bench/shards.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BLOCK="${BLOCK:-10.0.0.0/16}"
RUNS="${RUNS:-3}"
SHARDS="${SHARDS:-4}"
PORT="${PORT:-5354}"
ADNS_ADDR="${ADNS_ADDR:-127.0.0.3}"
OUT="${OUT:-/tmp/ptr-audit-bench}"
DATA="$OUT/data-${BLOCK//\//_}"
BIN="${BIN:-target/release/ptr-audit}"

for tool in nsd /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install nsd time)" >&2; exit 2; }
done
[ -x "$BIN" ] || cargo build --release --quiet
python3 bench/gen_zones.py --block "$BLOCK" --out "$DATA" --port "$PORT" --adns-addr "$ADNS_ADDR" >/dev/null
# shellcheck source=bench/nsd.sh
. bench/nsd.sh
start_nsd

run() { # out-file, args... -> "seconds rss_kib"
  local out=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/time.shards" "$BIN" "$@" >"$out" 2>/dev/null || true
  tail -n 1 "$OUT/time.shards"
}

scan=(scan "$BLOCK" --resolver "127.0.0.1:$PORT" --qps 0 --quiet --format json --fail-on never)
: > "$OUT/shards.tsv"
for r in $(seq "$RUNS"); do
  read -r single_s single_m < <(run "$OUT/single.json" "${scan[@]}")
  total=0; max_m=0; files=()
  for k in $(seq "$SHARDS"); do
    read -r s m < <(run "$OUT/shard-$k.json" "${scan[@]}" --shard "$k/$SHARDS")
    total=$(python3 -c "print(round($total + $s, 2))"); [ "$m" -gt "$max_m" ] && max_m=$m
    files+=("$OUT/shard-$k.json")
  done
  read -r merge_s merge_m < <(run "$OUT/merged.json" merge "${files[@]}")
  total=$(python3 -c "print(round($total + $merge_s, 2))")
  python3 - "$OUT/single.json" "$OUT/merged.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
strip = lambda rs: [{k: v for k, v in r.items() if k != "attempts"} for r in rs]
assert a["summary"] == b["summary"], "summaries differ"
assert a["block_findings"] == b["block_findings"], "block findings differ"
assert strip(a["records"]) == strip(b["records"]), "records differ"
PY
  printf 'round %d: single %ss %s KiB | %d shards %ss (merge %ss %s KiB), max shard %s KiB\n' \
    "$r" "$single_s" "$single_m" "$SHARDS" "$total" "$merge_s" "$merge_m" "$max_m"
  echo -e "$single_s\t$single_m\t$total\t$max_m\t$merge_m\t$merge_s" >> "$OUT/shards.tsv"
done
python3 - "$OUT/shards.tsv" "$SHARDS" <<'PY'
import statistics, sys
rows = [[float(x) for x in l.split()] for l in open(sys.argv[1]) if l.strip()]
single = statistics.median(r[0] for r in rows)
sharded = statistics.median(r[2] for r in rows)
print(f"single scan median {single:.2f} s, peak {max(r[1] for r in rows)/1024:.1f} MiB")
print(f"{sys.argv[2]} shards + merge median {sharded:.2f} s (merge median {statistics.median(r[5] for r in rows):.2f} s), peak per shard {max(r[3] for r in rows)/1024:.1f} MiB, merge {max(r[4] for r in rows)/1024:.1f} MiB")
print(f"ratio sharded / single: {sharded / single:.2f} (median of the rounds' ratios {statistics.median(r[2] / r[0] for r in rows):.2f}; records, summary and block findings identical in every round)")
PY
