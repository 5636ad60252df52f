#!/usr/bin/env bash
# What each of the reference ACL's top-level rules costs: instructions per evaluation (callgrind,
# counted inside the latency bench's warm `profiled` loop only) of the whole ACL, then of the ACL without each rule
# in turn; the difference is what that rule adds on top of the others. A rule that shares its
# slots (a component after the same transformations) with other rules costs less here than on its
# own: the shared extraction is paid by whichever comes first either way.
#
#   benches/rule-cost.sh                                   # benign GET and 8 KB JSON POST
#   benches/rule-cost.sh attack-get.jsonl                  # any file of rulesets/bench/requests/
#
# Needs valgrind. Takes about a minute per corpus on 2 cores. Instruction counts are stable
# across runs and machine load, unlike timings.
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "rule-cost.sh needs valgrind (apt-get install valgrind)" >&2; exit 1; }
CORPORA=("$@")
[ ${#CORPORA[@]} -gt 0 ] || CORPORA=(benign-get.jsonl json-post-8k.jsonl)
# shellcheck source=benches/support/bench-binary.sh
. benches/support/bench-binary.sh
BIN=$(bench_binary latency)
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
mapfile -t RULES < <("$BIN" --list-rules)

# instructions CORPUS [RULE]: instructions per evaluation, with RULE left out when given.
instructions() {
  local corpus=$1 rule=${2:-} n=400
  case "$corpus" in *64k*) n=40 ;; *8k*) n=150 ;; esac
  valgrind --tool=callgrind --callgrind-out-file="$OUT" --toggle-collect='latency::profiled' \
    "$BIN" --profile "$corpus" --iterations "$n" ${rule:+--drop-rule "$rule"} > /dev/null 2>&1
  callgrind_annotate "$OUT" 2>/dev/null \
    | awk -v n="$n" '/PROGRAM TOTALS/ { gsub(",", "", $1); printf "%d\n", $1 / n }'
}

declare -A FULL COST
for corpus in "${CORPORA[@]}"; do
  echo "profiling $corpus: the whole ACL, then without each of ${#RULES[@]} rules..." >&2
  FULL[$corpus]=$(instructions "$corpus")
  for rule in "${RULES[@]}"; do
    COST[$corpus/$rule]=$(( FULL[$corpus] - $(instructions "$corpus" "$rule") ))
  done
done

printf '\ninstructions per evaluation each rule adds (reference ACL; share of the whole ACL)\n'
printf '| %-42s |' rule
for corpus in "${CORPORA[@]}"; do printf ' %22s |' "$corpus"; done
printf '\n|%s|' "--------------------------------------------"
for _ in "${CORPORA[@]}"; do printf '%s|' "-----------------------:"; done
printf '\n'
for rule in "${RULES[@]}"; do
  printf '| %-42s |' "$rule"
  for corpus in "${CORPORA[@]}"; do
    printf ' %13s (%5.1f%%) |' "${COST[$corpus/$rule]}" \
      "$(awk -v c="${COST[$corpus/$rule]}" -v f="${FULL[$corpus]}" 'BEGIN { print (f > 0 ? 100 * c / f : 0) }')"
  done
  printf '\n'
done
printf '| %-42s |' "whole ACL"
for corpus in "${CORPORA[@]}"; do printf ' %13s (100.0%%) |' "${FULL[$corpus]}"; done
printf '\n'
