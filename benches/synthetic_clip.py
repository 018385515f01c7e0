#!/usr/bin/env python3
"""Write a synthetic clip with smooth, known camera motion: a window over examples/castle.jpg
that pans right and zooms in slowly, as numbered PNG frames (00001.png, ...), for measuring
`nst video`'s flicker beside the real clip of benches/clip.sh.

Usage: benches/synthetic_clip.py OUT_DIR [--width 512] [--frames 24]
Each frame: a 3:4 window of the 1024×683 photo, 720 px wide at first, moving 5 px right and
narrowing 0.4% per frame (a slow dolly-in), resized with Lanczos to WIDTH.
"""
import argparse
import pathlib

from PIL import Image

parser = argparse.ArgumentParser()
parser.add_argument("out_dir")
parser.add_argument("--width", type=int, default=512)
parser.add_argument("--frames", type=int, default=24)
args = parser.parse_args()

root = pathlib.Path(__file__).resolve().parent.parent
photo = Image.open(root / "examples" / "castle.jpg").convert("RGB")
out = pathlib.Path(args.out_dir)
out.mkdir(parents=True, exist_ok=True)
height = args.width * 3 // 4 // 2 * 2
for i in range(args.frames):
    w = 720 * 0.996**i
    h = w * 3 / 4
    cx, cy = 100 + 5 * i + w / 2, 60 + h / 2
    box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    frame = photo.resize((args.width, height), Image.LANCZOS, box=box)
    frame.save(out / f"{i + 1:05d}.png")
print(f"wrote {args.frames} frames to {out}")
