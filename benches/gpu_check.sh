#!/usr/bin/env bash
# The GPU check, ready for a lent GPU machine (the tool library's `device` entry: no network,
# PyTorch installed, 64 MiB of working tree, 10 minutes a command). Two halves:
#
#   here:   benches/gpu_check.sh pack
#           strips and xz-compresses target/$GPU_CHECK_PROFILE/nst (default: release, the build
#           the tests use) into .gpucheck/ and downloads the Vulkan loader into .gl/ (both
#           ignored through .git/info/exclude), and says whether the tree fits in 64 MiB;
#   there:  run(command="bash benches/gpu_check.sh run", carry=[".gpucheck", ".gl"], timeout_s=540)
#           `nst devices --check` (each GPU's loss and gradient against the CPU's), nst at 512²
#           for 500 L-BFGS iterations with the kernels tuned by a short run before, the default
#           command, and the same objective in PyTorch (benches/gpu_check_torch.py); one table
#           on stdout and in $OUT/gpu_check.md, the pictures beside it.
#
# Locally, with Mesa's software Vulkan and small sizes, to try the script itself:
#   GPU_CHECK_SIZE=64 GPU_CHECK_ITERATIONS=10 GPU_CHECK_DEFAULT_SIZE=64 \
#       GPU_CHECK_PYTHON=venv/bin/python benches/gpu_check.sh run
set -euo pipefail
cd "$(dirname "$0")/.."

size=${GPU_CHECK_SIZE:-512}
default_size=${GPU_CHECK_DEFAULT_SIZE:-512}
iterations=${GPU_CHECK_ITERATIONS:-500}
python=${GPU_CHECK_PYTHON:-python3}
limit=$((64 * 1024 * 1024))

exclude() {
    grep -qxF "$1" .git/info/exclude 2>/dev/null || echo "$1" >>.git/info/exclude
}

pack() {
    local profile=${GPU_CHECK_PROFILE:-release}
    cargo build --profile "$profile" --bin nst
    exclude /.gpucheck/
    exclude /.gl/
    mkdir -p .gpucheck .gl /tmp/amd64/partial
    strip -o .gpucheck/nst "target/$profile/nst"
    rm -f .gpucheck/nst.xz
    xz -9e -T0 .gpucheck/nst
    local apt=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    apt-get "${apt[@]}" update -qq
    (cd .gl && rm -f ./*.deb && apt-get "${apt[@]}" download libvulkan1 >/dev/null)
    # What travels: tracked files, untracked ones git does not ignore, and the carried folders.
    local tree
    tree=$({ git ls-files -z; git ls-files -z --others --exclude-standard; } |
        xargs -0 -r stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
    local carried
    carried=$(du -sb .gpucheck .gl | awk '{ s += $1 } END { print s }')
    echo "travels: $(((tree + carried) / 1024 / 1024)) MiB of 64 (tree $((tree / 1024 / 1024)), .gpucheck and .gl $((carried / 1024 / 1024)))"
    if ((tree + carried > limit)); then
        echo "too large: try GPU_CHECK_PROFILE=dist (smaller dependencies)" >&2
        exit 1
    fi
}

# The wall time of a command in seconds, its stdout kept in $2.
timed() {
    local out=$1
    shift
    local start end
    start=$(date +%s.%N)
    "$@" >"$out"
    end=$(date +%s.%N)
    awk "BEGIN { print $end - $start }"
}

# The quotient of two numbers.
ratio() {
    awk "BEGIN { print $1 / $2 }"
}

# Fields of a file's last JSON line (of its "summary", as `nst run --json` ends), tab-separated.
fields() {
    "$python" - "$@" <<'PY'
import json, sys
last = json.loads(open(sys.argv[1]).read().splitlines()[-1])
last = last.get("summary", last)
print("\t".join(str(last[key]) for key in sys.argv[2:]))
PY
}

run() {
    local work=/tmp/gpucheck
    mkdir -p "$work"
    # Everything said as it happens also lands in $OUT, which comes back even from a run cut
    # short by its time limit.
    if [[ -n "${OUT:-}" ]]; then
        exec > >(tee "$OUT/gpu_check.log") 2>&1
    fi
    if compgen -G ".gl/*.deb" >/dev/null; then
        for deb in .gl/*.deb; do dpkg -x "$deb" /; done
        ldconfig
    fi
    local nst=$work/nst
    if [[ -f .gpucheck/nst.xz ]]; then
        xz -dc .gpucheck/nst.xz >"$nst"
    else
        cp target/release/nst "$nst"
    fi
    chmod +x "$nst"
    export NST_CACHE_DIR=$work/cache
    if ! "$nst" devices 2>/dev/null | grep -q '^gpu:'; then
        # Where the loader finds no driver by itself (the device entry's README).
        export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
        export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    fi
    local cpu gpu
    cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
    gpu=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1 || true)
    echo "machine: ${gpu:-no NVIDIA GPU}; $cpu; $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')"

    echo "== nst devices --check"
    local check=agrees
    "$nst" devices --check | tee "$work/check.txt" || check=DIFFERS
    grep -q '^gpu:' "$work/check.txt" || check="no GPU"

    # A square photo, so that "512²" is what it says: the castle's middle.
    local photo=$work/castle_square.png style=examples/starry_night.jpg
    "$python" -c 'import sys; from PIL import Image; i = Image.open(sys.argv[1]); s = min(i.size); l, t = (i.width - s) // 2, (i.height - s) // 2; i.crop((l, t, l + s, t + s)).save(sys.argv[2])' examples/castle.jpg "$photo"
    local common=(--device gpu -c "$photo" -s "$style" --size "$size" --scales 1 --settle 0 --json -q)

    echo "== kernel tuning: 3 iterations at ${size}² with an empty cache"
    local tune_s
    tune_s=$(timed "$work/tune.json" "$nst" run "${common[@]}" -n 3 -o "$work/tune.png")
    echo "== nst: $iterations iterations at ${size}²"
    local nst_wall nst_s nst_evals nst_start nst_loss line
    nst_wall=$(timed "$work/nst.json" "$nst" run "${common[@]}" -n "$iterations" -o "$work/nst.png")
    line=$(fields "$work/nst.json" seconds evaluations initial_loss final_loss)
    IFS=$'\t' read -r nst_s nst_evals nst_start nst_loss <<<"$line"
    echo "== the default command (castle, Starry Night)"
    local default_wall
    default_wall=$(timed "$work/default.json" "$nst" run --device gpu -c examples/castle.jpg -s "$style" --size "$default_size" --json -q -o "$work/default.png")

    echo "== PyTorch: the same objective, $iterations iterations at ${size}²"
    "$python" benches/gpu_check_torch.py --content "$photo" --style "$style" --size "$size" \
        --iterations "$iterations" | tee "$work/torch.json"
    local t_eval t_run t_evals t_start t_loss t_device t_version
    line=$(fields "$work/torch.json" seconds_per_evaluation run_seconds evaluations initial_loss final_loss device torch)
    IFS=$'\t' read -r t_eval t_run t_evals t_start t_loss t_device t_version <<<"$line"

    local table=$work/gpu_check.md
    {
        echo "GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'): ${gpu:-no NVIDIA GPU}; $cpu; nst $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
        echo
        echo "| ${size}², castle (middle square) / Starry Night | nst (wgpu) | PyTorch $t_version ($t_device) | nst / PyTorch |"
        echo "|---|---|---|---|"
        printf '| %s iterations: seconds (evaluations) | %.2f (%s) | %.2f (%s) | %.2f |\n' \
            "$iterations" "$nst_s" "$nst_evals" "$t_run" "$t_evals" "$(ratio "$nst_s" "$t_run")"
        printf '| seconds per evaluation | %.4f (in the run) | %.4f (alone, median) | %.2f |\n' \
            "$(ratio "$nst_s" "$nst_evals")" "$t_eval" "$(ratio "$(ratio "$nst_s" "$nst_evals")" "$t_eval")"
        printf '| loss: first, last | %.4g, %.4g | %.4g, %.4g (no 0-255 bounds) | |\n' "$nst_start" "$nst_loss" "$t_start" "$t_loss"
        printf '| nst process, start to end (s) | %.1f | | |\n' "$nst_wall"
        printf '| first run, kernels tuned: 3 iterations (s) | %.1f | | |\n' "$tune_s"
        printf '| default command (castle, longer side %s px), start to end (s) | %.1f | | |\n' "$default_size" "$default_wall"
        echo "| nst devices --check | $check | | |"
    } >"$table"
    echo
    cat "$table"
    if [[ -n "${OUT:-}" ]]; then
        cp "$table" "$work/check.txt" "$work/nst.json" "$work/torch.json" "$OUT/"
        cp "$work/nst.png" "$OUT/nst_${size}.png"
        cp "$work/default.png" "$OUT/default.png"
    fi
    [[ $check == agrees ]]
}

case "${1:-}" in
pack) pack ;;
run) run ;;
*)
    echo "usage: benches/gpu_check.sh pack|run (see the top of this file)" >&2
    exit 2
    ;;
esac
