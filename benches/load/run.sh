#!/usr/bin/env bash
# Side-by-side throughput on this machine: webacl (empty ACL, starter ACL) vs nginx as a plain
# reverse proxy, all in front of the same nginx backend, driven by the same wrk load.
# Figures drift between runs on shared machines: compare the ratios printed by one run.
#
#   benches/load/run.sh            # 3 runs of 10 s per setup
#   RUNS=1 DURATION=5s benches/load/run.sh
#
# Each proxy is pinned to core 0 and wrk to core 1 (taskset), one worker thread each.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
BACKEND_PORT=18080 NGINX_PROXY_PORT=18081 WEBACL_PORT=18082

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for pair in wrk:wrk nginx:nginx taskset:util-linux; do
  cmd=${pair%%:*} pkg=${pair##*:}
  command -v "$cmd" >/dev/null || { as_root apt-get update -qq; as_root apt-get install -y -qq "$pkg" >/dev/null; }
done
echo "building webacl (release)..." >&2
cargo build --release --quiet
BIN=target/release/webacl
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; for n in backend proxy; do [ -f "$WORK/$n.pid" ] && kill "$(cat "$WORK/$n.pid")" 2>/dev/null; done; rm -rf "$WORK"' EXIT

nginx_conf() { # name server-block
  cat > "$WORK/$1.conf" <<NGINX
worker_processes 1;
pid $WORK/$1.pid;
error_log $WORK/$1-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 64; }
  $2
}
NGINX
}
nginx_conf backend "server { listen 127.0.0.1:$BACKEND_PORT; location / { return 200 \"ok\\n\"; } }"
nginx_conf proxy "server { listen 127.0.0.1:$NGINX_PROXY_PORT; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }"
# The backend shares core 1 with wrk; every proxy measured runs alone on core 0.
taskset -c 1 nginx -c "$WORK/backend.conf"
taskset -c 0 nginx -c "$WORK/proxy.conf"
sleep 0.5

cat > "$WORK/empty.json" <<'ACL'
{"Name": "empty", "DefaultAction": {"Allow": {}}, "Rules": [],
 "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": true, "MetricName": "empty"}}
ACL

# Prints "requests/s p50 p99" for one wrk run against $1.
measure() {
  taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" --latency -H "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0" -H "Accept: text/html" "$1" \
    | awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print rps, p50, p99}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A RPS P50 P99
run_setup() { # name url
  local name=$1 url=$2 all="" line
  for _ in $(seq "$RUNS"); do
    line=$(measure "$url"); all+="$line"$'\n'
    echo "  $name: $line" >&2
  done
  RPS[$name]=$(printf '%s' "$all" | awk '{print $1}' | median)
  P50[$name]=$(printf '%s' "$all" | awk '{print $2}' | head -1)
  P99[$name]=$(printf '%s' "$all" | awk '{print $3}' | head -1)
}

start_webacl() { # extra args...
  taskset -c 0 "$BIN" serve --listen 127.0.0.1:$WEBACL_PORT --upstream 127.0.0.1:$BACKEND_PORT \
    --threads 1 --log-file off "$@" > "$WORK/webacl.out" 2>&1 &
  WEBACL_PID=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$WEBACL_PORT/" && return; sleep 0.1; done
  echo "webacl did not start:" >&2; cat "$WORK/webacl.out" >&2; exit 1
}

echo "nginx plain reverse proxy..." >&2
run_setup "nginx proxy" "http://127.0.0.1:$NGINX_PROXY_PORT/"
echo "webacl, empty ACL..." >&2
start_webacl --web-acl "$WORK/empty.json"; run_setup "webacl empty ACL" "http://127.0.0.1:$WEBACL_PORT/"; kill $WEBACL_PID; wait $WEBACL_PID 2>/dev/null || true
echo "webacl, starter ACL..." >&2
start_webacl; run_setup "webacl starter ACL" "http://127.0.0.1:$WEBACL_PORT/"; kill $WEBACL_PID; wait $WEBACL_PID 2>/dev/null || true

base=${RPS["nginx proxy"]}
printf '\n%-22s %12s %10s %10s %14s\n' setup "requests/s" p50 p99 "vs nginx proxy"
for name in "nginx proxy" "webacl empty ACL" "webacl starter ACL"; do
  printf '%-22s %12s %10s %10s %13.2fx\n' "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" "$(awk -v a="${RPS[$name]}" -v b="$base" 'BEGIN {print a/b}')"
done
