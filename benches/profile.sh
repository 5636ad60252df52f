#!/usr/bin/env bash
# Where evaluation time goes: callgrind instruction counts for one corpus against the reference
# ACL, counted inside the latency bench's `profiled` loop only, after two untimed passes over the
# corpus (compiling the ACL and the warm-up, whose caches and tables grow, are not counted), printed
# per request as the top functions by exclusive and by inclusive count.
#
#   benches/profile.sh                          # benign-get.jsonl, 5,000 evaluations
#   benches/profile.sh json-post-8k.jsonl 1000  # any file of rulesets/bench/requests/
#   ONLY_RULE=AWS-AWSManagedRulesSQLiRuleSet benches/profile.sh load-get.jsonl   # one rule alone
#
# Needs valgrind. Instruction counts are stable across runs and machine load, unlike timings,
# so they are the figure to compare before and after an optimisation.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-benign-get.jsonl}
ITERATIONS=${2:-5000}
TOP=${TOP:-25}
# shellcheck source=benches/support/bench-binary.sh
. benches/support/bench-binary.sh
BIN=$(bench_binary latency)
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$OUT" --toggle-collect='latency::profiled' \
  "$BIN" --profile "$CORPUS" --iterations "$ITERATIONS" ${ONLY_RULE:+--only-rule "$ONLY_RULE"} 2>/dev/null
python3 - "$OUT" "$ITERATIONS" "$TOP" <<'PY'
import collections, re, subprocess, sys
path, iterations, top = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def table(inclusive):
    out = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
                          "--threshold=100", "--auto=no", path], capture_output=True, text=True).stdout
    total, by_fn = 0, collections.Counter()
    for line in out.splitlines():
        if re.search(r"\(\d[\d,]*x\)", line):
            continue
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
        if not m:
            continue
        ir, what = int(m.group(1).replace(",", "")), re.sub(r" \[[^]]*\]$", "", m.group(2))
        if "PROGRAM TOTALS" in what:
            total = ir
            continue
        # callgrind splits a function by the file of each inlined line; sum (or, inclusive, max) them.
        fn = what.split(":", 1)[1] if ":" in what else what
        by_fn[fn] = max(by_fn[fn], ir) if inclusive else by_fn[fn] + ir
    return total, by_fn
total, exclusive = table(False)
_, inclusive = table(True)
print(f"{total / iterations:,.0f} instructions per request ({iterations} evaluations)")
for name, t in (("exclusive", exclusive), ("inclusive (webacl functions)", inclusive)):
    print(f"\ntop {top} by {name}: % of total, instructions per request, function")
    rows = [(f, ir) for f, ir in t.most_common() if name == "exclusive" or "webacl::" in f][:top]
    for fn, ir in rows:
        print(f"{ir / total * 100:6.1f}% {ir / iterations:>11,.0f}  {fn[:140]}")
PY
