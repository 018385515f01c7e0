#!/usr/bin/env python3
"""Flicker, per-frame quality and cost of `nst video` against independent `nst run` frames.

    benches/video.py measure CLIP_DIR STYLE OUT_ROOT [--size 512] [--tag video] [-- VIDEO ARGS…]
    benches/video.py strip OUT_ROOT --clip CLIP_DIR --frames 2,3,4 --out strip.jpg [--tag video] [--width 256]

`measure` paints every frame of CLIP_DIR independently (`nst run`, same recipe, once: kept in
OUT_ROOT/independent and reused), then the clip with `nst video` (into OUT_ROOT/TAG), and scores
both with `nst score --frames … --stylised … -s STYLE --json`: the same readout and flicker
measurement for each. Prints one table row: flicker of each and their ratio, mean relative
content and style errors of each, and seconds per frame (independent frames; the video's first
frame and its later frames, from its --log). `strip` draws rows input / independent / video for
the given frames (frame 2 onwards), then each output's change from the frame before (white: none,
black: 64 levels or more summed over the channels): the flicker, and the true motion, which is
the same for both.

NST_BIN picks the binary (default target/release/nst).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
NST = os.environ.get("NST_BIN", str(ROOT / "target/release/nst"))


def frames_of(clip):
    return sorted(p for p in pathlib.Path(clip).iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))


def independent(clip, style, out, size):
    out.mkdir(parents=True, exist_ok=True)
    seconds = []
    for frame in frames_of(clip):
        target = out / frame.name
        if target.exists():
            continue
        start = time.monotonic()
        subprocess.run([NST, "run", "-c", str(frame), "-s", style, "-o", str(target), "--size", str(size),
                        "--progress", "none", "-q"], check=True)
        seconds.append(time.monotonic() - start)
    if seconds:
        (out / "seconds.json").write_text(json.dumps(seconds))
    return json.loads((out / "seconds.json").read_text()) if (out / "seconds.json").exists() else []


def score(clip, stylised, style):
    run = subprocess.run([NST, "score", "--frames", str(clip), "--stylised", str(stylised), "-s", style, "--json"],
                         check=True, capture_output=True, text=True)
    lines = [json.loads(l) for l in run.stdout.splitlines()]
    readouts = [l for l in lines if "content" in l]
    content = sum(next(iter(l["content"].values())) for l in readouts) / len(readouts)
    style_error = sum(l["mean_style"] for l in readouts) / len(readouts)
    colour = sum(l["measures"]["colour_distance"] for l in readouts) / len(readouts)
    flicker = next(l["flicker"] for l in lines if "flicker" in l)
    return {"content": content, "style": style_error, "colour": colour, "flicker": flicker}


def measure(args):
    root = pathlib.Path(args.out_root)
    indep_seconds = independent(args.clip, args.style, root / "independent", args.size)
    out = root / args.tag
    log = root / f"{args.tag}.json"
    subprocess.run([NST, "video", "--frames", args.clip, "-s", args.style, "--out-dir", str(out), "--size",
                    str(args.size), "--force", "--progress", "none", "-q", "--log", str(log), *args.video],
                   check=True)
    frames = json.loads(log.read_text())["frames"]
    first, later = frames[0]["seconds"], [f["seconds"] for f in frames[1:]]
    a, b = score(args.clip, root / "independent", args.style), score(args.clip, out, args.style)
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
    print(f"| {args.tag} | {a['flicker']:.2e} | {b['flicker']:.2e} | {b['flicker'] / a['flicker']:.1%} "
          f"| {a['content']:.3f} / {b['content']:.3f} | {a['style']:.4f} / {b['style']:.4f} "
          f"| {a['colour']:.2f} / {b['colour']:.2f} "
          f"| {mean(indep_seconds):.1f} | {first:.1f} / {mean(later):.1f} |")


def strip(args):
    import numpy as np
    from PIL import Image, ImageDraw

    root = pathlib.Path(args.out_root)
    names = [p.name for p in frames_of(root / args.tag)]
    picks = [int(i) - 1 for i in args.frames.split(",")]
    load = lambda d, i: Image.open(d / names[i]).convert("RGB")
    clip = pathlib.Path(args.clip)
    w, h = load(root / args.tag, 0).size
    scale = args.width / w
    size = (args.width, round(h * scale))

    def change(d):
        # |O_t − O_{t−1}| per pixel, summed over channels, white 0 … black ≥ 64 levels: the
        # flicker, plus the true motion (the same in both rows).
        def draw(i):
            a = np.asarray(load(d, i), dtype=np.float32)
            b = np.asarray(load(d, i - 1), dtype=np.float32)
            grey = 255 - np.clip(np.abs(a - b).sum(axis=2) * 4, 0, 255)
            return Image.fromarray(grey.astype(np.uint8)).convert("RGB")
        return draw

    rows = [("input", lambda i: load(clip, i).resize((w, h), Image.LANCZOS)),
            ("independent nst run", lambda i: load(root / "independent", i)),
            ("nst video", lambda i: load(root / args.tag, i)),
            ("independent: change from the frame before", change(root / "independent")),
            ("nst video: change from the frame before", change(root / args.tag))]
    label = 16
    sheet = Image.new("RGB", (size[0] * len(picks), (size[1] + label) * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (name, get) in enumerate(rows):
        for c, i in enumerate(picks):
            sheet.paste(get(i).resize(size, Image.LANCZOS), (c * size[0], r * (size[1] + label) + label))
            draw.text((c * size[0] + 4, r * (size[1] + label) + 2), f"{name}, frame {i + 1}", fill="black")
    sheet.save(args.out, quality=88)
    print(f"wrote {args.out}")


def main():
    argv = sys.argv[1:]
    video = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("clip")
    m.add_argument("style")
    m.add_argument("out_root")
    m.add_argument("--size", type=int, default=512)
    m.add_argument("--tag", default="video")
    s = sub.add_parser("strip")
    s.add_argument("out_root")
    s.add_argument("--clip", required=True)
    s.add_argument("--frames", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--tag", default="video")
    s.add_argument("--width", type=int, default=256, help="width of each picture in the strip")
    args = parser.parse_args(argv)
    args.video = video
    {"measure": measure, "strip": strip}[args.command](args)


if __name__ == "__main__":
    main()
