#!/usr/bin/env bash
# Scan benchmark: ptr-audit against adnslogres (C, PTR plus a forward A check),
# interleaved in the same sitting, against NSD on loopback.
#
#   bench/run.sh                   # 10.0.0.0/16, 5 rounds
#   BLOCK=10.0.0.0/14 RUNS=3 bench/run.sh
#
# Needs: nsd, adnslogres (Debian: nsd adns-tools), /usr/bin/time (Debian: time).
# All traffic goes to 127.0.0.1:$PORT and $ADNS_ADDR:53; the block is zone data only.
set -euo pipefail
cd "$(dirname "$0")/.."
BLOCK="${BLOCK:-10.0.0.0/16}"
RUNS="${RUNS:-5}"
PORT="${PORT:-5354}"
ADNS_ADDR="${ADNS_ADDR:-127.0.0.3}"
OUT="${OUT:-/tmp/ptr-audit-bench}"
DATA="$OUT/data-${BLOCK//\//_}"
BIN="${BIN:-target/release/ptr-audit}"
EXTRA="${EXTRA:-}"

for tool in nsd adnslogres /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install nsd adns-tools time)" >&2; exit 2; }
done
[ -x "$BIN" ] || cargo build --release --quiet
python3 bench/gen_zones.py --block "$BLOCK" --out "$DATA" --port "$PORT" --adns-addr "$ADNS_ADDR" >/dev/null
addresses=$(wc -l < "$DATA/ips.txt")

# shellcheck source=bench/nsd.sh
. bench/nsd.sh
start_nsd

measure() { # name, command... -> "seconds rss_kib"
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/time.$name" "$@" >"$OUT/out.$name" 2>"$OUT/err.$name" || true
  tail -n 1 "$OUT/time.$name"
}

printf 'block %s: %d addresses, %d rounds\n' "$BLOCK" "$addresses" "$RUNS"
: > "$OUT/results.tsv"
for r in $(seq "$RUNS"); do
  read -r s m < <(measure ptr-audit "$BIN" scan "$BLOCK" --resolver "127.0.0.1:$PORT" --qps 0 \
      --quiet --format jsonl $EXTRA)
  echo -e "ptr-audit\t$r\t$s\t$m" >> "$OUT/results.tsv"
  read -r s2 m2 < <(measure adnslogres adnslogres -c 100 -C "nameserver $ADNS_ADDR" < "$DATA/ips.txt")
  echo -e "adnslogres\t$r\t$s2\t$m2" >> "$OUT/results.tsv"
  printf 'round %d: ptr-audit %ss %s KiB, adnslogres %ss %s KiB\n' "$r" "$s" "$m" "$s2" "$m2"
done
records=$(wc -l < "$OUT/out.ptr-audit")
[ "$records" -eq "$addresses" ] || echo "WARNING: ptr-audit wrote $records records for $addresses addresses" >&2
python3 - "$OUT/results.tsv" "$addresses" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
by = {}
for tool, _, s, m in rows:
    by.setdefault(tool, []).append((float(s), int(m)))
med = {}
for tool, v in by.items():
    rates = sorted(n / max(s, 1e-3) for s, _ in v)
    med[tool] = statistics.median(rates)
    print(f"{tool:11s} median {med[tool]:9.0f} addresses/s (min {rates[0]:.0f}, max {rates[-1]:.0f}), peak RSS {max(m for _, m in v) / 1024:.1f} MiB")
if "adnslogres" in med:
    print(f"ratio ptr-audit / adnslogres: {med['ptr-audit'] / med['adnslogres']:.2f}")
PY
