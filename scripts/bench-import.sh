#!/usr/bin/env bash
# Times importing N airline-format CSV rows (default 100,000) on ONE core:
#   Python: benches/python/import_baseline.py (csv -> vaderSentiment -> keywords -> sqlite3 + FTS5)
#   Rust:   target/release/switchyard import (analyse, route, store with indexes, search index),
#           or, when that binary is not built, the pipeline's own `import_file` example (the same
#           Pipeline::import_file the CLI calls).
# and prints wall-clock and CPU (user + sys) seconds and the speed-ups. The two run in ROUNDS
# interleaved rounds (default 3); the summary compares each program's fastest round and lists
# every round's own ratio. On a shared machine the CPU ratio is the steadier figure.
#
#   scripts/bench-import.sh              # 100,000 rows
#   N=20000 scripts/bench-import.sh      # fewer
#   SKIP_BUILD=1 scripts/bench-import.sh # reuse the release build
#   ROUNDS=5 scripts/bench-import.sh     # more interleaved rounds (default 3)
#
# The input is built at run time under target/bench/ from shared/data/airline/train.csv, repeating
# rows with new tweet ids. That data is non-commercial: it never leaves target/ (never commit it).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100000}
DATA=${SWITCHYARD_SHARED_DATA:-../shared/data}
OUT=target/bench
CSV=$OUT/airline_${N}.csv
mkdir -p "$OUT"

if [ ! -f "$DATA/airline/train.csv" ]; then
  echo "shared data not found: $DATA/airline/train.csv (set SWITCHYARD_SHARED_DATA); cannot build the input" >&2
  exit 1
fi

python3 - "$DATA/airline/train.csv" "$N" "$CSV" <<'PY'
import csv, sys
source, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(source, encoding="utf-8", newline="") as f:
    reader = csv.DictReader(f)
    header = reader.fieldnames
    rows = list(reader)
with open(out, "w", encoding="utf-8", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=header)
    writer.writeheader()
    for i in range(n):
        row = dict(rows[i % len(rows)])
        row["tweet_id"] = str(900000000000000000 + i)
        writer.writerow(row)
print(f"wrote {n} rows to {out}", file=sys.stderr)
PY

VENV=target/bench-venv
if ! "$VENV/bin/python" -c 'import vaderSentiment' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q vaderSentiment==3.3.2
fi

if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release -q -p switchyard 2>/dev/null || echo "note: the switchyard binary did not build; using the pipeline example" >&2
  cargo build --release -q -p switchyard-pipeline --example import_file
fi

timed() { # prints "wall cpu" seconds of "$@" (cpu = user + sys of the whole process tree)
  local times
  times=$(mktemp)
  /usr/bin/time -f "%e %U %S" -o "$times" "$@" >&2
  python3 -c "w, u, s = map(float, open('$times').read().split()[-3:]); print(f'{w:.2f} {u + s:.2f}')"
  rm -f "$times"
}

ROUNDS=${ROUNDS:-3}
PY_DB=$OUT/import_baseline.sqlite
RS_DIR=$OUT/import-data
if [ -x target/release/switchyard ] && target/release/switchyard import --help >/dev/null 2>&1; then
  RUST_CMD=(target/release/switchyard --data-dir "$RS_DIR" import "$CSV")
  RUST_NAME="target/release/switchyard import"
else
  RUST_CMD=(target/release/examples/import_file "$CSV" "$RS_DIR")
  RUST_NAME="target/release/examples/import_file (Pipeline::import_file)"
fi
PY_TIMES=()
RS_TIMES=()
for round in $(seq 1 "$ROUNDS"); do
  rm -f "$PY_DB" "$PY_DB-wal" "$PY_DB-shm"
  echo "round $round/$ROUNDS: python baseline ($N rows, taskset -c 0)…" >&2
  PY_TIMES+=("$(timed taskset -c 0 "$VENV/bin/python" benches/python/import_baseline.py "$CSV" "$PY_DB")")
  rm -rf "$RS_DIR"
  echo "round $round/$ROUNDS: switchyard: $RUST_NAME ($N rows, taskset -c 0)…" >&2
  RS_TIMES+=("$(timed taskset -c 0 "${RUST_CMD[@]}")")
done

# Each round's figures, then the fastest round of each program (noise on a shared machine only
# ever adds time) and every round's own ratio.
python3 - "$N" "$RUST_NAME" "${PY_TIMES[*]}" "${RS_TIMES[*]}" <<'PY'
import sys
n, name = int(sys.argv[1]), sys.argv[2]
def pairs(text):
    values = [float(v) for v in text.split()]
    return list(zip(values[0::2], values[1::2]))  # (wall, cpu) per round
py, rs = pairs(sys.argv[3]), pairs(sys.argv[4])
print(f"rows:       {n}, {len(py)} interleaved round(s)")
for i, ((pw, pc), (rw, rc)) in enumerate(zip(py, rs), 1):
    print(f"round {i}:    python cpu {pc:6.2f} s, switchyard cpu {rc:6.2f} s: {pc / rc:.1f}x cpu, {pw / rw:.1f}x wall")
py_wall, py_cpu = min(w for w, _ in py), min(c for _, c in py)
rs_wall, rs_cpu = min(w for w, _ in rs), min(c for _, c in rs)
print(f"python:     wall {py_wall:7.2f} s  cpu {py_cpu:7.2f} s  {1e6 * py_cpu / n:6.1f} us/row  (fastest round; csv -> vaderSentiment -> keywords -> sqlite3 + FTS5)")
print(f"switchyard: wall {rs_wall:7.2f} s  cpu {rs_cpu:7.2f} s  {1e6 * rs_cpu / n:6.1f} us/row  (fastest round; {name})")
print(f"speed-up:   {py_wall / rs_wall:.1f}x wall, {py_cpu / rs_cpu:.1f}x cpu (fastest rounds)")
PY
