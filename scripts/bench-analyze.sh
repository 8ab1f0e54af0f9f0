#!/usr/bin/env bash
# Times Python's vaderSentiment 3.3.2 against Switchyard on ONE core over the same posts.
#
#   scripts/bench-analyze.sh            # 100,000 posts
#   N=20000 scripts/bench-analyze.sh    # fewer
#   ROUNDS=5 scripts/bench-analyze.sh   # more interleaved rounds (default 3)
#
# 1. Builds N JSON lines {"text": ...} from shared/data airline/train.csv and
#    semeval2017/train.tsv (shuffled with a fixed seed, repeated if fewer) into target/bench/.
#    The data is read at run time and never leaves target/ (it is not ours to ship).
# 2. Installs vaderSentiment==3.3.2 into target/bench-venv (once).
# 3. Times, each pinned with `taskset -c 0`:
#      - Python:  benches/python/vader_bench.py            (VADER only)
#      - Rust:    target/release/examples/vader_jsonl      (this repo's VADER only)
#      - Rust:    target/release/switchyard analyze        (full enrichment), if that binary exists
#      - Rust:    the same with --queries: 1,000 generated listening queries (issue #3)
#    and prints µs/post (CPU time, user+sys) and the speed-up over Python. The programs run in
#    ROUNDS interleaved rounds (default 3; ROUNDS=1 for one); the summary compares each
#    program's fastest round and lists every round's own ratio. Also counts how many
#    compound scores the two VADERs agree on (PyPI 3.3.2 differs from the reference commit on
#    the "beating heart"/"broken heart" idioms, so a handful of differences are expected).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100000}
DATA=${SWITCHYARD_SHARED_DATA:-../shared/data}
OUT=target/bench
mkdir -p "$OUT"
POSTS=$OUT/posts.jsonl

if [ ! -f "$DATA/airline/train.csv" ] || [ ! -f "$DATA/semeval2017/train.tsv" ]; then
  echo "shared data not found under $DATA (set SWITCHYARD_SHARED_DATA); cannot build the benchmark input" >&2
  exit 1
fi

python3 - "$DATA" "$N" "$POSTS" <<'PY'
import csv, json, random, re, sys
data, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
texts = []
with open(f"{data}/airline/train.csv", encoding="utf-8", newline="") as f:
    texts += [row["text"] for row in csv.DictReader(f) if row.get("text")]
escape = re.compile(r"\\u([0-9a-fA-F]{4})")
with open(f"{data}/semeval2017/train.tsv", encoding="utf-8") as f:
    next(f)
    for line in f:
        parts = line.rstrip("\n").split("\t", 2)
        if len(parts) == 3 and parts[2]:
            texts.append(escape.sub(lambda m: chr(int(m.group(1), 16)), parts[2]))
random.Random(42).shuffle(texts)
with open(out, "w", encoding="utf-8") as f:
    for i in range(n):
        f.write(json.dumps({"text": texts[i % len(texts)]}, ensure_ascii=False) + "\n")
print(f"wrote {n} posts ({len(texts)} distinct) to {out}", file=sys.stderr)
PY

VENV=target/bench-venv
if ! "$VENV/bin/python" -c 'import vaderSentiment' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q vaderSentiment==3.3.2
fi

if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release -q -p switchyard-text --example vader_jsonl
fi

# run_timed NAME OUTFILE CMD...: runs CMD on core 0 with stdin=$POSTS, records CPU and wall seconds.
run_timed() {
  local name=$1 outfile=$2
  shift 2
  if ! /usr/bin/time -o "$OUT/$name.time" -f "%U %S %e" taskset -c 0 "$@" < "$POSTS" > "$outfile" 2> "$OUT/$name.stderr"; then
    echo "$name failed; its stderr (last lines, full text in $OUT/$name.stderr):" >&2
    tail -n 5 "$OUT/$name.stderr" >&2
    return 1
  fi
  read -r user sys wall < <(tail -n 1 "$OUT/$name.time")
  local cpu
  cpu=$(python3 -c "print(round($user + $sys, 3))")
  echo "$cpu" >> "$OUT/$name.cpus"
  python3 -c "print(f'{\"$name\":<22} cpu {$cpu:8.2f} s  wall {$wall:8.2f} s  = {$cpu / $N * 1e6:8.2f} us/post (cpu)')"
}

ROUNDS=${ROUNDS:-3}
rm -f "$OUT"/*.cpus
echo "posts: $N, one core (taskset -c 0), $ROUNDS interleaved rounds"
HAVE_CLI=
if [ -x target/release/switchyard ]; then
  HAVE_CLI=1
  # Issue #3: the same enrichment plus 1,000 active listening queries.
  if [ -z "${SKIP_BUILD:-}" ] || [ ! -f "$OUT/queries.toml" ]; then
    cargo run --release -q -p switchyard-query --example listening_queries 1000 > "$OUT/queries.toml"
  fi
else
  echo "target/release/switchyard not built (cargo build --release -p switchyard); skipped the full analyze timing"
fi
for round in $(seq 1 "$ROUNDS"); do
  echo "-- round $round/$ROUNDS"
  run_timed python-vader "$OUT/python_vader.jsonl" "$VENV/bin/python" benches/python/vader_bench.py
  cat "$OUT/python-vader.stderr"
  run_timed rust-vader "$OUT/rust_vader.jsonl" target/release/examples/vader_jsonl
  if [ "$round" = 1 ]; then
    python3 - "$OUT/python_vader.jsonl" "$OUT/rust_vader.jsonl" <<'PY'
import json, sys
py = [json.loads(l) for l in open(sys.argv[1])]
rs = [json.loads(l) for l in open(sys.argv[2])]
same = sum(1 for a, b in zip(py, rs) if abs(a["compound"] - b["compound"]) <= 1e-4)
print(f"compound agreement (|diff| <= 1e-4): {same}/{len(py)} (rows: python {len(py)}, rust {len(rs)})")
PY
  fi
  if [ -n "$HAVE_CLI" ]; then
    if ! run_timed switchyard-analyze /dev/null target/release/switchyard analyze; then
      echo "switchyard analyze did not finish; no ratio for the full enrichment" >&2
      exit 1
    fi
    if ! run_timed switchyard-analyze-queries /dev/null target/release/switchyard analyze --queries "$OUT/queries.toml"; then
      echo "switchyard analyze --queries did not finish; no ratio with listening queries" >&2
      exit 1
    fi
  fi
done
# The summary: each program's fastest round (noise on a shared machine only ever adds time)
# and the ratio of each round, so a round disturbed by a neighbour shows as such.
python3 - "$OUT" <<'PY'
import os, statistics, sys
out = sys.argv[1]
def cpus(name):
    path = f"{out}/{name}.cpus"
    return [float(x) for x in open(path).read().split()] if os.path.exists(path) else []
py = cpus("python-vader")
rows = [
    ("rust-vader", "VADER alone: Rust is {:.1f}x faster than Python per core"),
    ("switchyard-analyze", "full analyze: {:.1f}x faster than Python vaderSentiment alone, per core"),
    ("switchyard-analyze-queries", "full analyze + 1,000 listening queries: {:.1f}x faster than Python vaderSentiment alone, per core"),
]
print(f"-- summary over {len(py)} round(s): fastest round of each program (per-round ratios in brackets)")
for name, line in rows:
    ours = cpus(name)
    if not ours:
        continue
    rounds = ", ".join(f"{p / max(o, 1e-9):.1f}x" for p, o in zip(py, ours))
    print(line.format(min(py) / max(min(ours), 1e-9)) + f" [{rounds}]")
PY
