#!/usr/bin/env bash
# Size and load time of the html report for a mixed /16 and a /12.
#
#   bench/html.sh              # BIN=target/release/ptr-audit RUNS=3
#
# The /16 is a real scan of bench/gen_zones.py's 10.0.0.0/16 (70% custom names,
# 15% generic, 15% missing, some not forward-confirmed) through the embedded
# server (--zones); the /12 is that report's records copied into each /16 of
# 10.16.0.0/12 (a jsonl report: same mix, 1,048,576 addresses), drawn with
# `ptr-audit render`. Load time is the page's own `data-ready-ms` (navigation
# start to the page built, as headless Chromium reports it), median of RUNS,
# next to an empty page's as the reference. Needs: chromium, python3.
# Nothing leaves loopback: the zones are data, the pages load nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
OUT="${OUT:-/tmp/ptr-audit-bench/html}"
BIN="${BIN:-target/release/ptr-audit}"
command -v chromium >/dev/null || { echo "missing chromium (apt-get install chromium)" >&2; exit 2; }
[ -x "$BIN" ] || cargo build --release --quiet
mkdir -p "$OUT"
python3 bench/gen_zones.py --block 10.0.0.0/16 --out "$OUT/data16" >/dev/null
"$BIN" scan --zones "$OUT/data16/zones" 10.0.0.0/16 --qps 0 --output "json=$OUT/s16.json" 2>/dev/null || true
python3 - "$OUT/s16.json" "$OUT/s12.jsonl" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    for k in range(16):
        for r in doc["records"]:
            o = r["ip"].split(".")
            r = dict(r, ip=f"10.{16 + k}.{o[2]}.{o[3]}", block="10.16.0.0/12")
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
PY
printf '<!DOCTYPE html><html><body><script>document.documentElement.setAttribute("data-ready-ms", String(Math.round(performance.now())))</script></body></html>' > "$OUT/empty.html"

ready_ms() {
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --disable-sync \
    --user-data-dir="$(mktemp -d)" --dump-dom "file://$1" 2>/dev/null |
    grep -o 'data-ready-ms="[0-9]*"' | grep -o '[0-9]*'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for size in 16 12; do
  in="$OUT/s$size.json"; [ "$size" = 12 ] && in="$OUT/s12.jsonl"
  /usr/bin/time -f "%e %M" -o "$OUT/render$size.time" "$BIN" render "$in" -o "$OUT/page$size.html"
  read -r secs kb < "$OUT/render$size.time"
  bytes=$(stat -c %s "$OUT/page$size.html")
  ms=$(for _ in $(seq "$RUNS"); do ready_ms "$OUT/page$size.html"; done | median)
  ref=$(for _ in $(seq "$RUNS"); do ready_ms "$OUT/empty.html"; done | median)
  echo "/$size: page $bytes bytes ($((bytes / 1024)) KiB); render ${secs} s, ${kb} KB peak; loaded in ${ms} ms (empty page: ${ref} ms)"
done
