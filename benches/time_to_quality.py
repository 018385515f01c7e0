#!/usr/bin/env python3
"""Time to quality: how good a picture each way of painting it has after how many seconds.

For each photo/painting pair at 512 px, on this machine's CPU:
  old      the default before 2026-12-02 (benches/recipes/old_default.toml: one level, 500
           L-BFGS iterations), checkpoints every 50 iterations;
  old+auto the same recipe with today's coarse-to-fine schedule (200/100/50 iterations), to see
           how soon it reaches the old run's full-size loss;
  new      today's default (`nst run -c PHOTO -s PAINTING`), nothing else;
  pastiche pastiche 1.6.0's default run (L-BFGS, its own weights, which nst's are converted from)
           at the same 512 px, stopped when the new default's wall time is up, images saved
           every 10 steps.
Every image is scored with `nst score` (relative content error at relu4_2, relative Gram error
per style layer, the readout in docs/guide.md), against wall time from process start. Writes
DIR/results.json, DIR/time_to_quality.png (the plot), DIR/time_to_quality_pictures.jpg (the
pictures side by side) and prints the table of docs/measurements.md (Time to quality).

    python3 -m venv venv && venv/bin/pip install torch pastiche==1.6.0 matplotlib pillow
    cargo build --release
    venv/bin/python benches/time_to_quality.py --out /tmp/ttq [--pairs castle,hopper] [--arms new,pastiche]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import contact_sheet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NST = os.path.join(ROOT, "target", "release", "nst")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "images")
OLD_RECIPE = os.path.join(ROOT, "benches", "recipes", "old_default.toml")

PAIRS = {
    "castle": ("examples/castle.jpg", "examples/starry_night.jpg"),
    "machu": ("examples/machu_picchu.jpg", f"{SHARED}/style_hokusai_great_wave.jpg"),
    "hopper": (f"{SHARED}/content_portrait_grace_hopper.jpg", f"{SHARED}/style_kandinsky_composition_viii.jpg"),
    "cat": ("examples/cat.png", "examples/night_cafe.jpg"),
}
ARMS = ["new", "old", "old+auto", "pastiche"]


def events(stdout):
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def run_nst(pair, out_dir, tag, extra):
    """One `nst run --json`; returns (wall seconds, iteration events, end event)."""
    content, style = (os.path.join(ROOT, p) for p in PAIRS[pair])
    output = os.path.join(out_dir, f"{pair}_{tag}.png")
    started = time.perf_counter()
    done = subprocess.run([NST, "run", "-c", content, "-s", style, "-o", output, "--json", "-q", *extra],
                          check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    lines = events(done.stdout)
    return wall, [e for e in lines if e.get("event") == "iteration"], lines[-1], output


def score(pair, images):
    content, style = (os.path.join(ROOT, p) for p in PAIRS[pair])
    done = subprocess.run([NST, "score", "-c", content, "-s", style, "--json", *images],
                          check=True, capture_output=True, text=True)
    return {e["image"]: e for e in events(done.stdout)}


def run_pastiche(pair, out_dir, seconds):
    """pastiche's default run at 512 px until `seconds` of wall time; images every 10 steps."""
    import torch
    from pastiche.pastiche import PasticheArtist, save_image
    torch.manual_seed(0)
    content, style = (os.path.join(ROOT, p) for p in PAIRS[pair])
    started = time.perf_counter()
    artist = PasticheArtist(content, [style], size=512, device="cpu")
    shots, step = [], 0
    while True:
        artist.draw()
        step += 1
        elapsed = time.perf_counter() - started
        if step % 10 == 0 or elapsed >= seconds:
            path = os.path.join(out_dir, f"{pair}_pastiche_{step:04d}.png")
            save_image(artist.pastiche, path)
            shots.append((elapsed, step, path))
        if elapsed >= seconds:
            return shots


def checkpoint_times(iterations, every, final_path, tag_path):
    """(seconds, iteration, path) of each checkpoint `--save-every` wrote."""
    shots = []
    for e in iterations:
        if e["iteration"] % every == 0:
            stem, ext = os.path.splitext(tag_path)
            shots.append((e["seconds"], e["iteration"], f"{stem}_{e['iteration']:04d}{ext}"))
    return [s for s in shots if os.path.exists(s[2])]


def measure(pair, arms, out_dir):
    result = {}
    if "new" in arms:
        wall, its, end, output = run_nst(pair, out_dir, "new", [])
        result["new"] = {"wall": wall, "levels": end["summary"].get("levels"),
                         "points": [(wall, its[-1]["iteration"], output)]}
    if "old" in arms:
        wall, its, end, output = run_nst(pair, out_dir, "old", ["--config", OLD_RECIPE, "--save-every", "50"])
        points = checkpoint_times(its, 50, output, output)
        points[-1:] = [(wall, its[-1]["iteration"], output)]
        result["old"] = {"wall": wall, "final_loss": its[-1]["loss"], "points": points,
                         "loss": [(e["seconds"], e["loss"]) for e in its]}
    if "old+auto" in arms:
        wall, its, end, output = run_nst(pair, out_dir, "old_auto",
                                         ["--config", OLD_RECIPE, "--scales", "auto", "--iterations", "200"])
        finest = max(e["level"] for e in its)
        result["old+auto"] = {"wall": wall, "points": [(wall, its[-1]["iteration"], output)],
                              "loss": [(e["seconds"], e["loss"]) for e in its if e["level"] == finest]}
    if "pastiche" in arms:
        budget = result.get("new", {}).get("wall", 90.0)
        result["pastiche"] = {"wall": budget, "points": run_pastiche(pair, out_dir, budget)}
    scores = score(pair, [p for arm in result.values() for (_, _, p) in arm["points"]])
    for arm in result.values():
        arm["points"] = [{"seconds": s, "iteration": i, "image": p, "content": scores[p]["content"]["relu4_2"],
                          "mean_style": scores[p]["mean_style"], "style": scores[p]["style"]}
                         for (s, i, p) in arm["points"]]
    return result


def table(results):
    print("| pair | run | s | content relu4_2 | style relu1_1 2_1 3_1 4_1 5_1 | mean style |")
    print("|---|---|---|---|---|---|")
    for pair, arms in results.items():
        for arm, r in arms.items():
            last = r["points"][-1]
            style = " ".join(f"{v:.3f}" for v in last["style"].values())
            print(f"| {pair} | {arm} | {last['seconds']:.0f} | {last['content']:.3f} | {style} | {last['mean_style']:.3f} |")
    for pair, arms in results.items():
        if "old" in arms and "old+auto" in arms:
            target = arms["old"]["final_loss"]
            reached = next((s for s, loss in arms["old+auto"]["loss"] if loss <= target), None)
            share = f"{reached:.0f} s = 1/{arms['old']['wall'] / reached:.1f}" if reached else "never"
            print(f"{pair}: old recipe's 500-iteration loss {target:.4g} after {arms['old']['wall']:.0f} s; "
                  f"with the auto schedule reached at {share}")


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = dict(zip(results, ["tab:blue", "tab:orange", "tab:green", "tab:red"]))
    marks = {"old": ("--", "o"), "new": ("", "*"), "pastiche": (":", "s"), "old+auto": ("", "x")}
    for pair, arms in results.items():
        for arm, r in arms.items():
            xs = [p["seconds"] for p in r["points"]]
            for ax, key in zip(axes, ["content", "mean_style"]):
                line, marker = marks[arm]
                ax.plot(xs, [p[key] for p in r["points"]], linestyle=line or "none", marker=marker,
                        color=colours[pair], label=f"{pair} {arm}", markersize=9 if arm == "new" else 4)
    for ax, title in zip(axes, ["content error (relu4_2), lower keeps more of the photo",
                                "mean Gram error (relu1_1..5_1), lower is closer to the painting"]):
        ax.set_xlabel("seconds from start (2-core CPU)")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def pictures(results, path, height=200):
    """One row a pair: photo, painting, then the last image of new, pastiche and old (a column
    only for the arms some pair ran)."""
    def tile(image_path, label):
        return contact_sheet.tile(image_path, label, height)

    rows = []
    columns = [("new", "new default"), ("pastiche", "pastiche, same time"), ("old", "old default")]
    columns = [(arm, name) for arm, name in columns if any(arm in arms for arms in results.values())]
    for pair, arms in results.items():
        row = [tile(os.path.join(ROOT, p), label) for p, label in zip(PAIRS[pair], ["photo", "painting"])]
        for arm, name in columns:
            if arm not in arms:
                row.append(tile(None, f"{name}: not run"))
                continue
            last = arms[arm]["points"][-1]
            label = f"{name}: {last['seconds']:.0f} s, c {last['content']:.2f}, s {last['mean_style']:.3f}"
            row.append(tile(last["image"], label))
        rows.append(row)
    contact_sheet.save_rows(rows, path, height, quality=88)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--pairs", default=",".join(PAIRS))
    parser.add_argument("--arms", default=",".join(ARMS))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if not os.path.exists(NST):
        sys.exit(f"{NST} not found: run `cargo build --release` first")
    cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True)
    print(f"processor: {cpu.stdout.strip()}", flush=True)
    results_path = os.path.join(args.out, "results.json")
    results = json.load(open(results_path)) if os.path.exists(results_path) else {}
    arms = args.arms.split(",")
    for pair in args.pairs.split(","):
        print(f"{pair} …", flush=True)
        results.setdefault(pair, {}).update(measure(pair, arms, args.out))
        json.dump(results, open(results_path, "w"), indent=1)
    table(results)
    plot(results, os.path.join(args.out, "time_to_quality.png"))
    pictures(results, os.path.join(args.out, "time_to_quality_pictures.jpg"))


if __name__ == "__main__":
    main()
