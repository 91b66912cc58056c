#!/usr/bin/env bash
# Scan benchmark: ptr-audit against adnslogres (C, PTR plus a forward A check),
# interleaved in the same sitting, against NSD on loopback.
#
#   bench/run.sh                   # 10.0.0.0/16, 5 rounds
#   BLOCK=10.0.0.0/14 RUNS=3 bench/run.sh
#
# Needs: nsd, adnslogres (Debian: nsd adns-tools), /usr/bin/time (Debian: time).
# All traffic goes to 127.0.0.1:$PORT and $ADNS_ADDR:53; the block is zone data only.
#
# Besides addresses per second (wall time) it reports the CPU each run cost the
# client and NSD. On this 2-core machine a busy second core turns the wall time
# into roughly client + server CPU, so the CPU ratio is the steadier figure.
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

# CPU seconds (user + system) used so far by the NSD serving $DATA, all its processes.
nsd_cpu() {
  local pid ticks=0
  for pid in $(pgrep -f "nsd -c $DATA/nsd.conf"); do
    # fields after the command name: 12 = utime, 13 = stime (in clock ticks)
    ticks=$((ticks + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  echo "$ticks"
}
TICK=$(getconf CLK_TCK)

measure() { # name, command... -> "seconds rss_kib client_cpu_s server_cpu_s"
  local name=$1; shift
  local before after
  before=$(nsd_cpu)
  /usr/bin/time -f "%e %M %U %S" -o "$OUT/time.$name" "$@" >"$OUT/out.$name" 2>"$OUT/err.$name" || true
  after=$(nsd_cpu)
  tail -n 1 "$OUT/time.$name" | awk -v d=$((after - before)) -v t="$TICK" '{printf "%s %s %.2f %.2f\n", $1, $2, $3 + $4, d / t}'
}

printf 'block %s: %d addresses, %d rounds\n' "$BLOCK" "$addresses" "$RUNS"
: > "$OUT/results.tsv"
for r in $(seq "$RUNS"); do
  read -r s m c n < <(measure ptr-audit "$BIN" scan "$BLOCK" --resolver "127.0.0.1:$PORT" --qps 0 \
      --quiet --format jsonl $EXTRA)
  echo -e "ptr-audit\t$r\t$s\t$m\t$c\t$n" >> "$OUT/results.tsv"
  read -r s2 m2 c2 n2 < <(measure adnslogres adnslogres -c 100 -C "nameserver $ADNS_ADDR" < "$DATA/ips.txt")
  echo -e "adnslogres\t$r\t$s2\t$m2\t$c2\t$n2" >> "$OUT/results.tsv"
  printf 'round %d: ptr-audit %ss %s KiB (cpu %ss, nsd %ss) | adnslogres %ss %s KiB (cpu %ss, nsd %ss)\n' \
    "$r" "$s" "$m" "$c" "$n" "$s2" "$m2" "$c2" "$n2"
done
records=$(wc -l < "$OUT/out.ptr-audit")
[ "$records" -eq "$addresses" ] || echo "WARNING: ptr-audit wrote $records records for $addresses addresses" >&2
python3 - "$OUT/results.tsv" "$addresses" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
by = {}
for tool, _, s, m, c, d in rows:
    by.setdefault(tool, []).append((float(s), int(m), float(c), float(d)))
med, cpu = {}, {}
for tool, v in by.items():
    rates = sorted(n / max(s, 1e-3) for s, *_ in v)
    med[tool] = statistics.median(rates)
    client = statistics.median(c for *_, c, _ in v)
    server = statistics.median(d for *_, d in v)
    cpu[tool] = client + server
    print(f"{tool:11s} median {med[tool]:9.0f} addresses/s (min {rates[0]:.0f}, max {rates[-1]:.0f}), "
          f"peak RSS {max(m for _, m, *_ in v) / 1024:.1f} MiB, CPU per run: client {client:.2f} s + nsd {server:.2f} s")
if "adnslogres" in med:
    print(f"ratio ptr-audit / adnslogres: {med['ptr-audit'] / med['adnslogres']:.2f} "
          f"(addresses/s); {cpu['adnslogres'] / cpu['ptr-audit']:.2f} (inverse of client + nsd CPU)")
PY
