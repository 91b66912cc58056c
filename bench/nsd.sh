# Sourced by the benchmark scripts: serve $DATA (written by gen_zones.py) from
# NSD on 127.0.0.1:$PORT, reusing an NSD already serving it, and wait until it
# answers. An NSD started here is stopped when the script exits.
start_nsd() {
  if [ -s "$DATA/nsd.pid" ] && kill -0 "$(cat "$DATA/nsd.pid")" 2>/dev/null; then
    echo "reusing the NSD already serving $DATA (pid $(cat "$DATA/nsd.pid"))" >&2
  else
    nsd -c "$DATA/nsd.conf" -P "$DATA/nsd.pid"
    trap 'kill "$(cat "$DATA/nsd.pid")" 2>/dev/null || true' EXIT
  fi
  for _ in $(seq 100); do
    dig +short +tries=1 +time=1 -p "$PORT" @127.0.0.1 SOA 0.0.10.in-addr.arpa >/dev/null 2>&1 && return 0
  done
  echo "NSD on 127.0.0.1:$PORT does not answer" >&2
  return 1
}
