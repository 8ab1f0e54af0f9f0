#!/usr/bin/env bash
# Times importing N airline-format CSV rows (default 100,000) on ONE core:
#   Python: benches/python/import_baseline.py (csv -> vaderSentiment -> keywords -> sqlite3 + FTS5)
#   Rust:   target/release/switchyard import (analyse, route, store with indexes, search index),
#           or, when that binary is not built, the pipeline's own `import_file` example (the same
#           Pipeline::import_file the CLI calls).
# and prints wall-clock and CPU (user + sys) seconds and the speed-ups. On a shared machine the
# CPU ratio is the steadier figure.
#
#   scripts/bench-import.sh              # 100,000 rows
#   N=20000 scripts/bench-import.sh      # fewer
#   SKIP_BUILD=1 scripts/bench-import.sh # reuse the release build
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

PY_DB=$OUT/import_baseline.sqlite
rm -f "$PY_DB" "$PY_DB-wal" "$PY_DB-shm"
echo "python baseline ($N rows, taskset -c 0)…" >&2
PY_S=$(timed taskset -c 0 "$VENV/bin/python" benches/python/import_baseline.py "$CSV" "$PY_DB")

RS_DIR=$OUT/import-data
rm -rf "$RS_DIR"
if [ -x target/release/switchyard ] && target/release/switchyard import --help >/dev/null 2>&1; then
  RUST_CMD=(target/release/switchyard --data-dir "$RS_DIR" import "$CSV")
  RUST_NAME="target/release/switchyard import"
else
  RUST_CMD=(target/release/examples/import_file "$CSV" "$RS_DIR")
  RUST_NAME="target/release/examples/import_file (Pipeline::import_file)"
fi
echo "switchyard: $RUST_NAME ($N rows, taskset -c 0)…" >&2
RS_S=$(timed taskset -c 0 "${RUST_CMD[@]}")

python3 - "$N" "$PY_S" "$RS_S" "$RUST_NAME" <<'PY'
import sys
n, name = int(sys.argv[1]), sys.argv[4]
py_wall, py_cpu = map(float, sys.argv[2].split())
rs_wall, rs_cpu = map(float, sys.argv[3].split())
print(f"rows:       {n}")
print(f"python:     wall {py_wall:7.2f} s  cpu {py_cpu:7.2f} s  {1e6 * py_cpu / n:6.1f} us/row  (csv -> vaderSentiment -> keywords -> sqlite3 + FTS5)")
print(f"switchyard: wall {rs_wall:7.2f} s  cpu {rs_cpu:7.2f} s  {1e6 * rs_cpu / n:6.1f} us/row  ({name})")
print(f"speed-up:   {py_wall / rs_wall:.1f}x wall, {py_cpu / rs_cpu:.1f}x cpu")
PY
