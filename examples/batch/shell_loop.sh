#!/usr/bin/env bash
# Split a folder across N local processes (or N GPUs: set one per process with the
# environment your GPU stack reads). Each takes its own shard; together they cover every photo
# exactly once, and a rerun resumes whatever was not finished.
#   IN=photos STYLE=wave.jpg OUT=out N=4 examples/batch/shell_loop.sh
set -euo pipefail
NST=${NST:-nst}
N=${N:-2}
for i in $(seq 1 "$N"); do
    "$NST" batch --content-dir "$IN" --style "$STYLE" --out-dir "$OUT" \
        --shard "$i/$N" --manifest "$OUT/manifest-$i.jsonl" --quiet "$@" &
done
status=0
for job in $(jobs -p); do wait "$job" || status=1; done
exit $status
