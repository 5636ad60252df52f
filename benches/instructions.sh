#!/usr/bin/env bash
# Instructions per evaluation, counted by callgrind: a figure machine load does not move, for the
# ratios of the scaling benches and for before/after comparisons.
#
#   benches/instructions.sh scaling 'regex_patterns/1000$'
#   benches/instructions.sh engine 'evaluate/reference/benign GET'
#
# Runs the criterion bench binary under callgrind in --profile-time mode for the benchmarks the
# filter selects (use a filter matching ONE benchmark), collecting inside
# `webacl::eval::evaluate` only, and divides by the number of calls made from the timing loop
# (calls from the benches' setup checks are left out).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=$1
FILTER=$2
SECS=${SECS:-2}
# shellcheck source=benches/support/bench-binary.sh
. benches/support/bench-binary.sh
BIN=$(bench_binary "$BENCH")
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$OUT" --toggle-collect='webacl::eval::evaluate*' \
  "$BIN" --bench --profile-time "$SECS" "$FILTER" >/dev/null 2>&1
python3 - "$OUT" "$FILTER" <<'PY'
import re, sys
names, calls, cost = {}, 0, 0
caller = callee = ""
pending = None
def resolve(tok):
    m = re.match(r"\((\d+)\)(?: (.*))?", tok)
    if not m:
        return tok
    if m.group(2):
        names[m.group(1)] = m.group(2)
    return names.get(m.group(1), "")
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("fn="):
        caller = resolve(line[3:])
    elif line.startswith("cfn="):
        callee = resolve(line[4:])
    elif line.startswith("calls="):
        pending = int(line[6:].split()[0])
    elif pending is not None:
        parts = line.split()
        if callee.startswith("webacl::eval::evaluate") and "assert_actions" not in caller and len(parts) > 1:
            calls += pending
            cost += int(parts[1])
        pending = None
if calls == 0:
    sys.exit(f"no evaluation matched {sys.argv[2]!r}")
print(f"{sys.argv[2]}: {cost / calls:,.0f} instructions per evaluation ({calls} evaluations)")
PY
