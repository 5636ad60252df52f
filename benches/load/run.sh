#!/usr/bin/env bash
# Side-by-side load comparison (issue 6): webacl beside nginx and nginx + ModSecurity + CRS.
# Run `benches/load/run.sh --help` for what it does and its settings.
set -euo pipefail

usage() {
  cat <<'EOF'
benches/load/run.sh: webacl under load, beside nginx and nginx + ModSecurity + OWASP CRS.

Starts one upstream (nginx answering "ok"), then the proxies below, all in front of it, and drives
each with the same wrk load, once with benign and once with attack traffic. Every proxy runs
alone on core 0 with one worker (taskset); wrk and the upstream share core 1. Prints one table:
requests/s, p50/p99 latency, CPU microseconds per request (the proxy's utime+stime from
/proc/PID/stat over the run, divided by the requests wrk completed), each as a ratio to nginx's
plain proxy measured in the same run, and what share of the traffic each setup blocked. For each
webacl build: the acl / empty CPU ratio of every round with its mean and 95% interval, and the
median CPU per request with its user-space part and the mean time evaluation took inside the
proxy (webacl_evaluation_seconds from each webacl's /metrics, on its port + 100).

Setups (SETUPS, in this order):
  nginx      nginx as a plain reverse proxy (keep-alive to the upstream)
  pingora    a pingora proxy with pingora's defaults and no WAF (benches/load/pingora_minimal.rs)
  core       a proxy on pingora's server and HTTP/1 codec without its proxy framework, no WAF
             (benches/load/pingora_core_proxy.rs)
  empty      webacl serve with an empty Web ACL (pingora's server, webacl's fast path and own
             HTTP/1 exchange, no rules)
  acl        webacl serve with LOAD_ACL (the reference ACL when present, else the starter ACL)
  modsec     nginx + ModSecurity v3 + OWASP CRS, paranoia level 1, blocking (SecRuleEngine On)
Traffic (TRAFFIC):
  benign     GET /products/list?page=2&sort=price with browser headers: every setup forwards it
  attack     the same with a SQL injection in a query argument (id=1' OR 1=1--): every WAF
             setup must block it; the script warns when one does not.

Missing tools are installed with apt-get (wrk, nginx, libnginx-mod-http-modsecurity,
modsecurity-crs, util-linux for taskset). Absolute figures drift between runs on shared machines:
compare the ratios within one run, and repeat.

Usage: benches/load/run.sh [--help]
Environment:
  RUNS=3            rounds; each round measures every setup once per traffic kind (interleaved,
                    every other round in reverse order, so drift and position hit all setups
                    alike); the table shows medians
  DURATION=10s      length of each wrk run
  CONNS=32          wrk connections (wrk -t1 -c$CONNS)
  SETUPS="nginx pingora core empty acl modsec"
  TRAFFIC="benign attack"
  LOAD_ACL=FILE     the Web ACL of the "acl" setup [rulesets/bench/reference-acl.json if it
                    exists, else rulesets/starter-acl.json]
  LOAD_RESOURCES=DIR  its --resources [rulesets/bench/resources when LOAD_ACL is the reference]
  WEBACL_BINS="label=PATH ..."  compare several webacl builds (e.g. allocators) in one run; each
                    label gets its own "empty" and "acl" rows [one build: cargo build --release]
  WEBACL_ARGS="..." extra flags for every webacl serve
  WEBACL_LOG=1      webacl writes its AWS WAF log records to a file (in the run's temporary
                    directory) instead of --log-file off, to measure what logging costs
                    (≈ 0.7-1.3 KB a request: several GB per run, deleted at the end)
  PINGORA_BIN=PATH  a prebuilt pingora_minimal example [built with cargo]
  CORE_BIN=PATH     a prebuilt pingora_core_proxy example [built with cargo]
  BASE_PORT=18080   the upstream listens there, the proxies on the ports after it
  OUT=FILE          also write every single measurement (TSV) there
EOF
}
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
SETUPS=${SETUPS:-nginx pingora core empty acl modsec}
TRAFFIC=${TRAFFIC:-benign attack}
WEBACL_ARGS=${WEBACL_ARGS:-}
TARGET=${CARGO_TARGET_DIR:-target}
REFERENCE=rulesets/bench/reference-acl.json
if [ -z "${LOAD_ACL:-}" ]; then
  if [ -f "$REFERENCE" ]; then LOAD_ACL=$REFERENCE; else LOAD_ACL=rulesets/starter-acl.json; fi
fi
if [ -z "${LOAD_RESOURCES:-}" ] && [ "$LOAD_ACL" = "$REFERENCE" ] && [ -d rulesets/bench/resources ]; then
  LOAD_RESOURCES=rulesets/bench/resources
fi
BENIGN_PATH="/products/list?page=2&sort=price"
ATTACK_PATH="/products/list?page=2&id=1%27%20OR%201%3D1--"
UPSTREAM_PORT=${BASE_PORT:-18080}
CLK_TCK=$(getconf CLK_TCK)
has() { case " $SETUPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
say() { echo "$*" >&2; }

# --- tools ---------------------------------------------------------------------------------
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
APT_UPDATED=
apt_install() {
  [ -n "$APT_UPDATED" ] || { as_root apt-get update -qq; APT_UPDATED=1; }
  say "installing $*..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
for pair in wrk:wrk nginx:nginx taskset:util-linux curl:curl; do
  command -v "${pair%%:*}" >/dev/null || apt_install "${pair##*:}"
done
MODSEC_MODULE=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
CRS_RULES=/usr/share/modsecurity-crs/rules
if has modsec; then
  [ -f "$MODSEC_MODULE" ] || apt_install libnginx-mod-http-modsecurity
  [ -d "$CRS_RULES" ] || apt_install modsecurity-crs
fi

# --- builds --------------------------------------------------------------------------------
if [ -z "${WEBACL_BINS:-}" ] && { has empty || has acl; }; then
  say "building webacl (release)..."
  cargo build --release --quiet --bin webacl
  WEBACL_BINS="webacl=$TARGET/release/webacl"
fi
if has pingora && [ -z "${PINGORA_BIN:-}" ]; then
  say "building the minimal pingora proxy (release example)..."
  cargo build --release --quiet --example pingora_minimal
  PINGORA_BIN=$TARGET/release/examples/pingora_minimal
fi
if has core && [ -z "${CORE_BIN:-}" ]; then
  say "building the pingora-core proxy (release example)..."
  cargo build --release --quiet --example pingora_core_proxy
  CORE_BIN=$TARGET/release/examples/pingora_core_proxy
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$WORK"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- servers -------------------------------------------------------------------------------
nginx_conf() { # name head http-body
  cat > "$WORK/$1.conf" <<NGINX
$2
worker_processes 1;
pid $WORK/$1.pid;
error_log $WORK/$1-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream backend { server 127.0.0.1:$UPSTREAM_PORT; keepalive 64; }
  $3
}
NGINX
}
PROXY_TO_BACKEND="proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\";"

declare -A URL PIDOF LABEL
ORDER=()
next_port=$((UPSTREAM_PORT + 1))
add_setup() { # key label pid-file-or-pid
  ORDER+=("$1"); LABEL[$1]=$2; URL[$1]="http://127.0.0.1:$3"; PIDOF[$1]=$4
}
# Prints the PIDs whose CPU time counts for a setup (nginx: the master and its workers).
pids_of() {
  local p=${PIDOF[$1]}
  case $p in
    *.pid) local m; m=$(cat "$p"); echo "$m $(pgrep -P "$m" | tr '\n' ' ')" ;;
    *) echo "$p" ;;
  esac
}
cpu_ticks() { # pids... -> "utime+stime utime" summed, in clock ticks
  local t=0 u=0 p pt pu
  for p in "$@"; do
    # Fields after the ")" that closes the command name: utime and stime are the 12th and 13th.
    read -r pt pu < <(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13, $12}')
    t=$((t + pt)) u=$((u + pu))
  done
  echo "$t $u"
}
wait_up() { # url name
  for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  say "$2 did not start:"; cat "$WORK"/*.out >&2 2>/dev/null || true; exit 1
}

nginx_conf upstream "" "server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 \"ok\\n\"; } }"
taskset -c 1 nginx -c "$WORK/upstream.conf"

if has nginx; then
  port=$((next_port++))
  nginx_conf nginx "" "server { listen 127.0.0.1:$port; location / { $PROXY_TO_BACKEND } }"
  taskset -c 0 nginx -c "$WORK/nginx.conf"
  add_setup nginx "nginx plain proxy" "$port" "$WORK/nginx.pid"
fi
if has pingora; then
  port=$((next_port++))
  taskset -c 0 "$PINGORA_BIN" "127.0.0.1:$port" "127.0.0.1:$UPSTREAM_PORT" 1 > "$WORK/pingora.out" 2>&1 &
  PIDS+=($!)
  add_setup pingora "pingora minimal proxy" "$port" "$!"
fi
if has core; then
  port=$((next_port++))
  taskset -c 0 "$CORE_BIN" "127.0.0.1:$port" "127.0.0.1:$UPSTREAM_PORT" 1 > "$WORK/core.out" 2>&1 &
  PIDS+=($!)
  add_setup core "pingora-core proxy (no framework)" "$port" "$!"
fi

cat > "$WORK/empty.json" <<'ACL'
{"Name": "empty", "DefaultAction": {"Allow": {}}, "Rules": [],
 "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": true, "MetricName": "empty"}}
ACL
ACL_NAME=$(basename "$LOAD_ACL")
# Each webacl answers /metrics here, its proxy port + ADMIN_OFFSET: webacl_evaluation_seconds gives
# the time evaluation takes inside the proxy, under the load.
ADMIN_OFFSET=100
declare -A ADMIN
start_webacl() { # key label bin args...
  local key=$1 label=$2 bin=$3 port=$((next_port++))
  shift 3
  local admin=$((port + ADMIN_OFFSET)) log=off
  [ -z "${WEBACL_LOG:-}" ] || log="$WORK/$key.log"
  # shellcheck disable=SC2086
  taskset -c 0 "$bin" serve --listen "127.0.0.1:$port" --upstream "127.0.0.1:$UPSTREAM_PORT" \
    --admin "127.0.0.1:$admin" --threads 1 --log-file "$log" --watch false $WEBACL_ARGS "$@" > "$WORK/$key.out" 2>&1 &
  PIDS+=($!)
  add_setup "$key" "$label" "$port" "$!"
  ADMIN[$key]=$admin
}
n_bins=$(wc -w <<<"${WEBACL_BINS:-}")
for spec in ${WEBACL_BINS:-}; do
  name=${spec%%=*} bin=${spec#*=}
  tag=""; [ "$n_bins" -gt 1 ] && tag=" [$name]"
  has empty && start_webacl "empty-$name" "webacl empty ACL$tag" "$bin" --web-acl "$WORK/empty.json"
  if has acl; then
    start_webacl "acl-$name" "webacl $ACL_NAME$tag" "$bin" --web-acl "$LOAD_ACL" \
      ${LOAD_RESOURCES:+--resources "$LOAD_RESOURCES"}
  fi
done

if has modsec; then
  port=$((next_port++))
  # Debian's recommended ModSecurity base, switched to blocking, then the CRS (paranoia level 1,
  # anomaly scoring: a request whose score reaches the inbound threshold is denied with 403).
  cat > "$WORK/modsec-rules.conf" <<MODSEC
Include /etc/nginx/modsecurity.conf
SecRuleEngine On
SecAuditEngine Off
SecStatusEngine Off
Include /etc/modsecurity/crs/crs-setup.conf
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=1"
MODSEC
  # libmodsecurity 3 has no IncludeOptional: include the exclusion files only where they exist.
  before=/etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf
  after=/etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf
  { [ -f "$before" ] && echo "Include $before"
    echo "Include $CRS_RULES/*.conf"
    [ -f "$after" ] && echo "Include $after"; } >> "$WORK/modsec-rules.conf"
  nginx_conf modsec "load_module $MODSEC_MODULE;" \
    "server { listen 127.0.0.1:$port; modsecurity on; modsecurity_rules_file $WORK/modsec-rules.conf; location / { $PROXY_TO_BACKEND } }"
  taskset -c 0 nginx -c "$WORK/modsec.conf"
  add_setup modsec "nginx + ModSecurity + CRS" "$port" "$WORK/modsec.pid"
fi

for key in "${ORDER[@]}"; do wait_up "${URL[$key]}/" "${LABEL[$key]}"; done

# --- checks: benign passes everywhere, attack is blocked by every WAF -----------------------
is_waf() { case $1 in acl-*|modsec) return 0 ;; *) return 1 ;; esac; }
path_of() { if [ "$1" = attack ]; then echo "$ATTACK_PATH"; else echo "$BENIGN_PATH"; fi; }
# shellcheck source=benches/load/browser-headers.sh
. benches/load/browser-headers.sh
WARNINGS=()
for key in "${ORDER[@]}"; do
  for t in $TRAFFIC; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "${HDRS[@]}" "${URL[$key]}$(path_of "$t")")
    if [ "$t" = benign ] && [ "$code" != 200 ]; then
      WARNINGS+=("${LABEL[$key]} answered benign traffic with $code, not 200")
    elif [ "$t" = attack ] && is_waf "$key" && [ "$code" = 200 ]; then
      WARNINGS+=("${LABEL[$key]} did NOT block the attack request (status $code)")
    fi
    say "check: ${LABEL[$key]}, $t -> $code"
  done
done

# --- measurement ---------------------------------------------------------------------------
to_us() { # wrk latency (850.00us, 1.20ms, 2.00s) -> microseconds
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    f = (u == "us") ? 1 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : 0; printf "%.0f", n * f }'
}
declare -A SAMPLES
# evaluation_totals KEY -> "seconds_sum count" of webacl_evaluation_seconds ("0 0" for non-webacl)
evaluation_totals() {
  [ -n "${ADMIN[$1]:-}" ] || { echo "0 0"; return; }
  curl -s "http://127.0.0.1:${ADMIN[$1]}/metrics" |
    awk '/^webacl_evaluation_seconds_sum/ {s = $2} /^webacl_evaluation_seconds_count/ {c = $2} END {print s + 0, c + 0}'
}
measure() { # key traffic -> appends "rps p50 p99 cpu_us blocked% user_cpu_us eval_us" to SAMPLES[key/traffic]
  local key=$1 t=$2 pids before after out reqs rps p50 p99 bad cpu blocked user user_before user_after
  local eval_before eval_after eval
  read -r -a pids <<<"$(pids_of "$key")"
  eval_before=$(evaluation_totals "$key")
  read -r before user_before <<<"$(cpu_ticks "${pids[@]}")"
  out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" --latency "${HDRS[@]}" "${URL[$key]}$(path_of "$t")")
  read -r after user_after <<<"$(cpu_ticks "${pids[@]}")"
  eval_after=$(evaluation_totals "$key")
  # Mean evaluation time of the requests of this run, in microseconds (0 for non-webacl setups).
  eval=$(awk -v a="$eval_before" -v b="$eval_after" 'BEGIN { split(a, x, " "); split(b, y, " ")
    n = y[2] - x[2]; printf "%.2f", (n > 0 ? (y[1] - x[1]) / n * 1e6 : 0) }')
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(to_us "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  bad=$(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out"); bad=${bad:-0}
  per_req() { awk -v d="$1" -v hz="$CLK_TCK" -v r="$reqs" 'BEGIN { printf "%.1f", (r > 0 ? d / hz * 1e6 / r : 0) }'; }
  cpu=$(per_req $((after - before)))
  user=$(per_req $((user_after - user_before)))
  blocked=$(awk -v b="$bad" -v r="$reqs" 'BEGIN { printf "%.0f", (r > 0 ? 100 * b / r : 0) }')
  SAMPLES[$key/$t]+="$rps $p50 $p99 $cpu $blocked $user $eval"$'\n'
  [ -z "${OUT:-}" ] || printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${LABEL[$key]}" "$t" "$rps" "$p50" "$p99" "$cpu" "$blocked" "$user" "$eval" >> "$OUT"
  say "    ${LABEL[$key]}, $t: $rps req/s, p50 ${p50} us, p99 ${p99} us, ${cpu} us CPU/req (user ${user}${ADMIN[$key]:+, evaluation $eval}), ${blocked}% blocked"
}
[ -z "${OUT:-}" ] || printf 'setup\ttraffic\treq/s\tp50_us\tp99_us\tcpu_us_per_req\tblocked_pct\tuser_cpu_us_per_req\teval_us_per_req\n' > "$OUT"
say "warm-up (1 s each)..."
for key in "${ORDER[@]}"; do taskset -c 1 wrk -t1 -c"$CONNS" -d1s "${URL[$key]}/" >/dev/null; done
for r in $(seq "$RUNS"); do
  for t in $TRAFFIC; do
    say "round $r/$RUNS, $t traffic (${DURATION} per setup):"
    # Every other round runs the setups in reverse order: on a noisy machine, the position in a
    # round (what ran just before, the neighbours' bursts) otherwise favours the same setup.
    if (( r % 2 == 1 )); then
      for key in "${ORDER[@]}"; do measure "$key" "$t"; done
    else
      for ((i = ${#ORDER[@]} - 1; i >= 0; i--)); do measure "${ORDER[$i]}" "$t"; done
    fi
  done
done

# --- table ---------------------------------------------------------------------------------
median_col() { # samples column -> median
  awk -v c="$2" '{print $c}' <<<"$1" | sed '/^$/d' | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
declare -A MED
for key in "${ORDER[@]}"; do
  for t in $TRAFFIC; do
    for c in 1 2 3 4 5 6 7; do MED[$key/$t/$c]=$(median_col "${SAMPLES[$key/$t]}" "$c"); done
  done
done
echo
echo "webacl load comparison: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t1 -c$CONNS -d$DURATION, medians of $RUNS run(s); proxies pinned to core 0 (1 worker), wrk + upstream on core 1"
echo "acl = $LOAD_ACL${LOAD_RESOURCES:+ (resources: $LOAD_RESOURCES)}"
cap() { awk -v c="$1" 'BEGIN { if (c > 0) printf "%.0f", 1e6 / c; else printf "-" }'; }
printf '\n| %-34s | %-7s | %7s | %7s | %7s | %7s | %8s | %7s | %7s | %7s |\n' setup traffic "req/s" "p50 us" "p99 us" "CPU us" "req/s@1c" "rps/ngx" "CPU/ngx" blocked
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "---------" "--------:" "--------:" "--------:" "--------:" "---------:" "--------:" "--------:" "--------:"
for t in $TRAFFIC; do
  for key in "${ORDER[@]}"; do
    base_rps=${MED[nginx/$t/1]:-0} base_cpu=${MED[nginx/$t/4]:-0}
    printf '| %-34s | %-7s | %7s | %7s | %7s | %7s | %8s | %7s | %7s | %6s%% |\n' "${LABEL[$key]}" "$t" \
      "${MED[$key/$t/1]}" "${MED[$key/$t/2]}" "${MED[$key/$t/3]}" "${MED[$key/$t/4]}" "$(cap "${MED[$key/$t/4]}")" \
      "$(ratio "${MED[$key/$t/1]}" "$base_rps")" "$(ratio "${MED[$key/$t/4]}" "$base_cpu")" "${MED[$key/$t/5]}"
  done
done
echo
echo "CPU us = the proxy's CPU time per request; req/s@1c = 1e6 / CPU us, what one saturated core would"
echo "serve; rps/ngx and CPU/ngx = ratios to nginx's plain proxy for the same traffic. When wrk and the"
echo "upstream on core 1 are the bottleneck (no proxy near 100% CPU), req/s@1c ranks the proxies better"
echo "than req/s does."

# The issue's targets, for each webacl build measured.
echo
# paired NAME TRAFFIC ACL_KEY EMPTY_KEY: the acl / empty CPU ratio of each round (the two ran in
# the same round, minutes apart at most, so drift between rounds cancels), its mean and a 95%
# confidence interval (Student's t over the rounds), and whether the 0.9 target is met, missed
# or not decided by this run.
paired() {
  paste <(awk '{print $4}' <<<"${SAMPLES[$3/$2]}" | sed '/^$/d') \
        <(awk '{print $4}' <<<"${SAMPLES[$4/$2]}" | sed '/^$/d') |
    awk -v name="$1" -v t="$2" '
      $1 > 0 { r[++n] = $2 / $1; s += r[n]; list = list sprintf(" %.2f", r[n]) }
      END {
        if (n < 2) { printf "acl/empty per round (%s, %s):%s (too few rounds for an interval)", name, t, list; exit }
        m = s / n; for (i = 1; i <= n; i++) v += (r[i] - m) ^ 2; sd = sqrt(v / (n - 1))
        # two-sided 95% t quantiles for 1..30 degrees of freedom, then the normal one
        split("12.71 4.30 3.18 2.78 2.57 2.45 2.36 2.31 2.26 2.23 2.20 2.18 2.16 2.14 2.13 2.12 2.11 2.10 2.09 2.09 2.08 2.07 2.07 2.06 2.06 2.06 2.05 2.05 2.05 2.04", q, " ")
        tq = (n - 1 <= 30) ? q[n - 1] : 1.96; h = tq * sd / sqrt(n)
        verdict = (m - h >= 0.9) ? "met" : (m + h < 0.9) ? "not met" : "not decided by this run"
        printf "acl/empty CPU ratio per round (%s, %s):%s; mean %.3f, 95%% interval %.3f-%.3f over %d rounds: >= 0.9 %s", name, t, list, m, m - h, m + h, n, verdict
      }'
}
ROUND_LINES=()
for spec in ${WEBACL_BINS:-}; do
  name=${spec%%=*}
  for t in $TRAFFIC; do
    a=acl-$name e=empty-$name
    [ -n "${MED[$a/$t/1]:-}" ] || continue
    # Each target as req/s ratio, then as the inverse CPU-per-request ratio in brackets.
    both() { echo "$(ratio "${MED[$1/$t/1]}" "${MED[$2/$t/1]}") [$(ratio "${MED[$2/$t/4]}" "${MED[$1/$t/4]}")]"; }
    line="targets ($name, $t; req/s ratio [CPU ratio]):"
    [ -n "${MED[$e/$t/1]:-}" ] && line+=" acl/empty $(both "$a" "$e") (>= 0.9)"
    [ -n "${MED[$e/$t/1]:-}" ] && ROUND_LINES+=("$(paired "$name" "$t" "$a" "$e")") &&
      ROUND_LINES+=("CPU per request ($name, $t; medians): empty ACL ${MED[$e/$t/4]} us (user ${MED[$e/$t/6]}, evaluation ${MED[$e/$t/7]}), acl ${MED[$a/$t/4]} us (user ${MED[$a/$t/6]}, evaluation ${MED[$a/$t/7]})")
    [ -n "${MED[nginx/$t/1]:-}" ] && line+=", acl/nginx $(both "$a" nginx) (>= 1.0)"
    [ -n "${MED[modsec/$t/1]:-}" ] && line+=", acl/modsec $(both "$a" modsec) (>= 30)"
    echo "$line"
  done
done
for l in "${ROUND_LINES[@]}"; do echo "$l"; done
for t in $TRAFFIC; do
  for key in "${ORDER[@]}"; do
    b=${MED[$key/$t/5]}
    if [ "$t" = attack ] && is_waf "$key" && [ "$b" -lt 100 ]; then
      WARNINGS+=("${LABEL[$key]} blocked only $b% of the attack traffic")
    elif [ "$t" = benign ] && [ "$b" -gt 0 ]; then
      WARNINGS+=("${LABEL[$key]} blocked $b% of the benign traffic")
    fi
  done
done
for w in "${WARNINGS[@]}"; do echo "WARNING: $w"; done
