#!/usr/bin/env bash
# Resident memory of `webacl serve` with the reference ACL (rulesets/bench/) loaded:
#   * after start-up, idle for a few seconds (VmRSS; VmHWM is the peak, compile included);
#   * after replaying the request corpora N times through the proxy (default 2,000 requests).
#
#   benches/rss.sh                 # builds with the bench profile (shares the benches' build)
#   REQUESTS=10000 benches/rss.sh
#
# Reads /proc/<pid>/status, so Linux only. The proxy forwards to its built-in echo upstream.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18090}
REQUESTS=${REQUESTS:-2000}
IDLE_SECS=${IDLE_SECS:-3}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --profile bench --bin webacl --quiet
BIN=$TARGET/release/webacl   # the bench profile builds into release/
LOG=$(mktemp)
"$BIN" serve --web-acl rulesets/bench/reference-acl.json --resources rulesets/bench/resources \
  --listen 127.0.0.1:$PORT --log-file off > "$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
  kill -0 $PID 2>/dev/null || { echo "webacl serve exited:" >&2; cat "$LOG" >&2; exit 1; }
  sleep 0.1
done
sleep "$IDLE_SECS"
mem() { awk -v what="$1" '/^(VmRSS|VmHWM|RssAnon|RssFile):/ {sub(":", "", $1); printf "%s %s=%.1f MB", sep, $1, $2/1024; sep=","} END {print "  (" what ")"}' "/proc/$PID/status"; }
mem "idle, ACL loaded"
python3 - "$PORT" "$REQUESTS" <<'PY'
import http.client, json, sys
port, total = int(sys.argv[1]), int(sys.argv[2])
reqs = []
for name in ("benign-get", "attack-get", "json-post-8k", "form-post-64k"):
    with open(f"rulesets/bench/requests/{name}.jsonl") as f:
        reqs += [json.loads(line) for line in f if line.strip()]
conn = http.client.HTTPConnection("127.0.0.1", port)
codes = {}
for i in range(total):
    r = reqs[i % len(reqs)]
    target = r["uri"] + ("?" + r["args"] if r["args"] else "")
    headers = {h["name"]: h["value"] for h in r["headers"]}
    conn.request(r["httpMethod"], target, body=r.get("body"), headers=headers)
    resp = conn.getresponse()
    resp.read()
    codes[resp.status] = codes.get(resp.status, 0) + 1
    if resp.getheader("connection", "").lower() == "close":
        conn = http.client.HTTPConnection("127.0.0.1", port)
print(f"replayed {total} corpus requests: status counts {codes}")
PY
sleep 1
mem "after the replay"
