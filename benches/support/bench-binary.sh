# Sourced by the callgrind scripts in benches/: `bench_binary NAME` builds the bench target NAME
# (release profile for benches) and prints the path of its executable.
bench_binary() {
  cargo bench --bench "$1" --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
}
