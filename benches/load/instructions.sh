#!/usr/bin/env bash
# User-space instructions per request of each proxy, counted by callgrind: a figure that, unlike
# requests/s, does not drift with what else the machine runs. Kernel work (the TCP stack, about
# half of a plain proxy's CPU time here) is not counted. See benches/load/run.sh for the setups.
set -euo pipefail

usage() {
  cat <<'EOF'
benches/load/instructions.sh: user-space instructions per proxied request (valgrind callgrind).

Runs each proxy under callgrind with instrumentation off, warms it up, switches instrumentation
on for one wrk run (one connection: callgrind serializes the proxy anyway), switches it off, and
divides the instructions executed by the requests wrk completed. Kernel work is not counted.

Setups: nginx (plain proxy), pingora (minimal pingora proxy), core (a proxy on pingora's server
and HTTP/1 codec without its proxy framework, benches/load/pingora_core_proxy.rs), empty (webacl,
empty Web ACL), acl (webacl with LOAD_ACL), modsec (nginx + ModSecurity + CRS). Benign traffic only.

Usage: benches/load/instructions.sh [--help]
Environment:
  SETUPS="nginx pingora core empty acl modsec"
  DURATION=10s      instrumented wrk run per setup
  CACHE_SIM=1       also simulate this machine's L1 caches (valgrind --cache-sim=yes) and report
                    instruction- and data-cache misses per request: inside a proxy, the proxy's
                    own work evicts the evaluation's code and tables between requests. Counts
                    misses, not what they cost (for that: cargo bench --bench latency -- --cold).
                    Slower (about 2x).
  WEBACL_BIN=PATH   [$CARGO_TARGET_DIR/release/webacl, built when missing]
  KEEP=DIR          keep each setup's callgrind output there (for callgrind_annotate)
  LOAD_ACL, LOAD_RESOURCES, BASE_PORT as in benches/load/run.sh
EOF
}
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

cd "$(dirname "$0")/../.."
SETUPS=${SETUPS:-nginx pingora core empty acl modsec}
DURATION=${DURATION:-10s}
TARGET=${CARGO_TARGET_DIR:-target}
REFERENCE=rulesets/bench/reference-acl.json
if [ -z "${LOAD_ACL:-}" ]; then
  if [ -f "$REFERENCE" ]; then LOAD_ACL=$REFERENCE; else LOAD_ACL=rulesets/starter-acl.json; fi
fi
if [ -z "${LOAD_RESOURCES:-}" ] && [ "$LOAD_ACL" = "$REFERENCE" ] && [ -d rulesets/bench/resources ]; then
  LOAD_RESOURCES=rulesets/bench/resources
fi
UPSTREAM_PORT=${BASE_PORT:-18080}
PORT=$((UPSTREAM_PORT + 1))
PATH_Q="/products/list?page=2&sort=price"
has() { case " $SETUPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
say() { echo "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for pair in valgrind:valgrind callgrind_control:valgrind wrk:wrk nginx:nginx curl:curl; do
  command -v "${pair%%:*}" >/dev/null || { as_root apt-get update -qq; as_root apt-get install -y -qq "${pair##*:}" >/dev/null; }
done
WEBACL_BIN=${WEBACL_BIN:-$TARGET/release/webacl}
if { has empty || has acl; } && [ ! -x "$WEBACL_BIN" ]; then cargo build --release --quiet --bin webacl; fi
PINGORA_BIN=$TARGET/release/examples/pingora_minimal
if has pingora && [ ! -x "$PINGORA_BIN" ]; then cargo build --release --quiet --example pingora_minimal; fi
CORE_BIN=$TARGET/release/examples/pingora_core_proxy
if has core && [ ! -x "$CORE_BIN" ]; then cargo build --release --quiet --example pingora_core_proxy; fi

WORK=$(mktemp -d)
VG_PID=
cleanup() {
  [ -z "$VG_PID" ] || kill "$VG_PID" 2>/dev/null || true
  [ -f "$WORK/upstream.pid" ] && kill "$(cat "$WORK/upstream.pid")" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/upstream.conf" <<NGINX
worker_processes 1;
pid $WORK/upstream.pid;
error_log $WORK/upstream-error.log;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 "ok\n"; } } }
NGINX
nginx -c "$WORK/upstream.conf"

# nginx under valgrind: one process (no master, no daemon) so callgrind sees the worker's work.
nginx_single() { # name extra-head server-extra
  cat > "$WORK/$1.conf" <<NGINX
$2
daemon off;
master_process off;
worker_processes 1;
pid $WORK/$1.pid;
error_log $WORK/$1-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream backend { server 127.0.0.1:$UPSTREAM_PORT; keepalive 64; }
  server { listen 127.0.0.1:$PORT; $3 location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
NGINX
}
cat > "$WORK/empty.json" <<'ACL'
{"Name": "empty", "DefaultAction": {"Allow": {}}, "Rules": [],
 "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": true, "MetricName": "empty"}}
ACL
MODSEC_MODULE=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
if has modsec; then
  { echo "Include /etc/nginx/modsecurity.conf"
    echo "SecRuleEngine On"; echo "SecAuditEngine Off"; echo "SecStatusEngine Off"
    echo "Include /etc/modsecurity/crs/crs-setup.conf"
    echo 'SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=1"'
    echo "Include /usr/share/modsecurity-crs/rules/*.conf"; } > "$WORK/modsec-rules.conf"
fi

# shellcheck source=benches/load/browser-headers.sh
. benches/load/browser-headers.sh
declare -A IR MISSES
ORDER=()
WARNINGS=()
run_one() { # key label command...
  local key=$1 label=$2 out="$WORK/$1.cg"
  shift 2
  say "$label: starting under callgrind..."
  valgrind --tool=callgrind --instr-atstart=no ${CACHE_SIM:+--cache-sim=yes} --callgrind-out-file="$out" "$@" > "$WORK/$key.log" 2>&1 &
  VG_PID=$!
  for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.2; done
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "${HDRS[@]}" "http://127.0.0.1:$PORT$PATH_Q")
  [ "$code" = 200 ] || WARNINGS+=("$label answered the benign request with $code, not 200")
  wrk -t1 -c1 -d2s "${HDRS[@]}" "http://127.0.0.1:$PORT$PATH_Q" > /dev/null
  callgrind_control -i on "$VG_PID" > /dev/null 2>&1
  local reqs
  reqs=$(wrk -t1 -c1 -d"$DURATION" "${HDRS[@]}" "http://127.0.0.1:$PORT$PATH_Q" | awk '/requests in/ {print $1}')
  callgrind_control -i off "$VG_PID" > /dev/null 2>&1
  callgrind_control -d "$VG_PID" > /dev/null 2>&1
  kill -INT "$VG_PID" 2>/dev/null || true
  wait "$VG_PID" 2>/dev/null || true
  VG_PID=
  [ -z "${KEEP:-}" ] || { mkdir -p "$KEEP"; cp "$out"* "$KEEP/"; }
  local total
  total=$(cat "$out"* 2>/dev/null | awk '/^summary:/ {s += $2} /^totals:/ {t += $2} END {print (t > 0 ? t : s)}')
  IR[$key]=$(awk -v t="$total" -v r="$reqs" 'BEGIN { printf "%.0f", (r > 0 ? t / r : 0) }')
  if [ -n "${CACHE_SIM:-}" ]; then
    # Columns follow the file's `events:` line (Ir Dr Dw I1mr D1mr D1mw ... with --cache-sim).
    MISSES[$key]=$(cat "$out"* 2>/dev/null | awk -v r="$reqs" '
      /^events:/ { for (k = 2; k <= NF; k++) col[$k] = k }
      /^summary:/ { si += $col["I1mr"]; sd += $col["D1mr"] + $col["D1mw"] }
      /^totals:/ { ti += $col["I1mr"]; td += $col["D1mr"] + $col["D1mw"]; t = 1 }
      END { i = t ? ti : si; d = t ? td : sd
            if (r > 0) printf "%.0f / %.0f", i / r, d / r; else printf "-" }')
  fi
  ORDER+=("$key")
  LABELS[$key]=$label
  say "  $reqs requests, ${IR[$key]} instructions/request"
}
declare -A LABELS
if has nginx; then
  nginx_single nginx "" ""
  run_one nginx "nginx plain proxy" nginx -c "$WORK/nginx.conf"
fi
if has pingora; then
  run_one pingora "pingora minimal proxy" "$PINGORA_BIN" "127.0.0.1:$PORT" "127.0.0.1:$UPSTREAM_PORT" 1
fi
if has core; then
  run_one core "pingora-core proxy (no framework)" "$CORE_BIN" "127.0.0.1:$PORT" "127.0.0.1:$UPSTREAM_PORT" 1
fi
serve=(serve --listen "127.0.0.1:$PORT" --upstream "127.0.0.1:$UPSTREAM_PORT" --threads 1 --log-file off --watch false)
if has empty; then
  run_one empty "webacl empty ACL" "$WEBACL_BIN" "${serve[@]}" --web-acl "$WORK/empty.json"
fi
if has acl; then
  run_one acl "webacl $(basename "$LOAD_ACL")" "$WEBACL_BIN" "${serve[@]}" --web-acl "$LOAD_ACL" \
    ${LOAD_RESOURCES:+--resources "$LOAD_RESOURCES"}
fi
if has modsec; then
  nginx_single modsec "load_module $MODSEC_MODULE;" "modsecurity on; modsecurity_rules_file $WORK/modsec-rules.conf;"
  run_one modsec "nginx + ModSecurity + CRS" nginx -c "$WORK/modsec.conf"
fi

echo
echo "user-space instructions per request (callgrind, benign browser-like GET, wrk -c1 -d$DURATION)"
printf '| %-30s | %14s | %9s |' setup "instr/request" "vs nginx"
[ -z "${CACHE_SIM:-}" ] || printf ' %17s |' "I1 / D1 misses"
printf '\n|%s|%s|%s|' "--------------------------------" "---------------:" "----------:"
[ -z "${CACHE_SIM:-}" ] || printf '%s|' "------------------:"
echo
for key in "${ORDER[@]}"; do
  printf '| %-30s | %14s | %9s |' "${LABELS[$key]}" "${IR[$key]}" \
    "$(awk -v a="${IR[$key]}" -v b="${IR[nginx]:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }')"
  [ -z "${CACHE_SIM:-}" ] || printf ' %17s |' "${MISSES[$key]}"
  echo
done
for w in "${WARNINGS[@]}"; do echo "WARNING: $w"; done
