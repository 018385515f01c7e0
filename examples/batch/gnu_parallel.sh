#!/usr/bin/env bash
# The same split with GNU parallel, which also reruns failed shards with --retries.
#   IN=photos STYLE=wave.jpg OUT=out N=4 examples/batch/gnu_parallel.sh
set -euo pipefail
NST=${NST:-nst}
N=${N:-4}
seq 1 "$N" | parallel --jobs "$N" --halt never \
    "$NST" batch --content-dir "$IN" --style "$STYLE" --out-dir "$OUT" \
    --shard {}/"$N" --manifest "$OUT"/manifest-{}.jsonl --quiet "$@"
