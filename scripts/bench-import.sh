#!/usr/bin/env bash
# Times importing N airline-format CSV rows (default 100,000) on ONE core:
#   Python: benches/python/import_baseline.py (csv -> vaderSentiment -> keywords -> sqlite3 + FTS5)
#   Rust:   target/release/switchyard import (analyse, route, store with indexes, search index),
#           or, when that binary is not built, the pipeline's own `import_file` example (the same
#           Pipeline::import_file the CLI calls).
# and prints wall-clock seconds, rows/second and the speed-up.
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

timed() { # prints wall seconds of "$@" (output to stderr)
  local start end
  start=$(date +%s.%N)
  "$@" >&2
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
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
n, py, rs, name = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
print(f"rows:       {n}")
print(f"python:     {py:8.2f} s  {n / py:9.0f} rows/s  (csv -> vaderSentiment -> keywords -> sqlite3 + FTS5)")
print(f"switchyard: {rs:8.2f} s  {n / rs:9.0f} rows/s  ({name})")
print(f"speed-up:   {py / rs:.1f}x")
PY
