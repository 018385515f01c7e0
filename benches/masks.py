#!/usr/bin/env python3
"""Masks and region maps measured on the castle, with the README's pictures.

Masks: its sky (examples/castle_sky.png, benches/sky_mask.py) in The Starry Night and the rest
(examples/castle_rest.png) in The Night Cafe, against the two blended 0.5/0.5 without masks.
Region maps: the castle in The Starry Night plainly and with region maps (its sky from the
painting's sky, the rest from the painting's hills, village and cypress: examples/
castle_regions.png and examples/starry_night_regions.png, benches/region_maps.py).

Usage: benches/masks.py NST OUT_DIR [--size PX] [--masks-strip JPG] [--regions-strip JPG]

NST is the nst binary. Runs on the CPU; prints two Markdown tables: for each picture, the
seconds it took and `nst score --mask M [--painting-mask P]`'s style error of each photo region
against each painting (or painting region): the region's guided Gram matrices against the
painting's, mean over the style layers. Needs Pillow and numpy.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from contact_sheet import save_rows, tile  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTO = os.path.join(ROOT, "examples/castle.jpg")
PAINTING = os.path.join(ROOT, "examples/starry_night.jpg")
CAFE = os.path.join(ROOT, "examples/night_cafe.jpg")
SKY = os.path.join(ROOT, "examples/castle_sky.png")
REST = os.path.join(ROOT, "examples/castle_rest.png")
PHOTO_MAP = os.path.join(ROOT, "examples/castle_regions.png")
PAINTING_MAP = os.path.join(ROOT, "examples/starry_night_regions.png")
REGIONS = {"sky": (0, 0, 255), "ground": (255, 0, 0)}


def masks_of(map_path, out_dir, prefix):
    """One white-where-the-colour-is mask per region of a map, written as PNGs."""
    rgb = np.asarray(Image.open(map_path).convert("RGB")).astype(int)
    paths = {}
    for name, colour in REGIONS.items():
        mask = (np.abs(rgb - np.array(colour)).sum(axis=2) < 60).astype(np.uint8) * 255
        paths[name] = os.path.join(out_dir, f"{prefix}_{name}.png")
        Image.fromarray(mask).save(paths[name])
    return paths


def run(nst, out, extra, size):
    started = time.time()
    cmd = [nst, "run", "-c", PHOTO, "--size", str(size), "--device", "cpu",
           "--progress", "none", "-o", out] + extra
    subprocess.run(cmd, check=True)
    return time.time() - started


def region_error(nst, picture, photo_mask, painting=PAINTING, painting_mask=None):
    cmd = [nst, "score", "-c", PHOTO, "-s", painting, "--device", "cpu", "--json", "--mask", photo_mask, picture]
    if painting_mask:
        cmd += ["--painting-mask", painting_mask]
    line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(line)["region_style"]


def overlay(image_path, map_path, out_path):
    """The image with its map's colours laid over it at 45%, for the strip."""
    image = Image.open(image_path).convert("RGB")
    regions = Image.open(map_path).convert("RGB").resize(image.size, Image.NEAREST)
    Image.blend(image, regions, 0.45).save(out_path)
    return out_path


def measure_masks(args):
    pictures = {
        "blended 0.5/0.5, no masks": ["-s", PAINTING, "-s", CAFE],
        "masked": ["-s", PAINTING, "-s", CAFE, "--style-mask", SKY, "--style-mask", REST],
    }
    print("| picture | sky vs Starry Night | sky vs Night Cafe | rest vs Night Cafe | rest vs Starry Night | seconds |")
    print("|---|---|---|---|---|---|")
    outputs = {}
    for name, extra in pictures.items():
        out = os.path.join(args.out_dir, name.split(",")[0].replace(" ", "_").replace("/", "_") + ".png")
        seconds = run(args.nst, out, extra, args.size)
        outputs[name] = out
        e = [region_error(args.nst, out, SKY, PAINTING), region_error(args.nst, out, SKY, CAFE),
             region_error(args.nst, out, REST, CAFE), region_error(args.nst, out, REST, PAINTING)]
        print(f"| {name} | " + " | ".join(f"{v:.4f}" for v in e) + f" | {seconds:.1f} |", flush=True)
    if args.masks_strip:
        height = 220
        row = [
            tile(PHOTO, "photo", height),
            tile(SKY, "--style-mask castle_sky.png (Starry Night)", height),
            tile(outputs["blended 0.5/0.5, no masks"], "blended 0.5/0.5, no masks", height),
            tile(outputs["masked"], "sky: Starry Night, the rest: Night Cafe", height),
        ]
        save_rows([row], args.masks_strip, height, 88)


def measure_regions(args):
    photo_masks = masks_of(PHOTO_MAP, args.out_dir, "photo")
    painting_masks = masks_of(PAINTING_MAP, args.out_dir, "painting")
    pictures = {
        "plain": ["-s", PAINTING],
        "region maps": ["-s", PAINTING, "--content-regions", PHOTO_MAP, "--style-regions", PAINTING_MAP],
    }
    print("| picture | sky vs painting's sky | sky vs its ground | ground vs its ground | ground vs its sky | seconds |")
    print("|---|---|---|---|---|---|")
    outputs = {}
    for name, extra in pictures.items():
        out = os.path.join(args.out_dir, name.replace(" ", "_") + ".png")
        seconds = run(args.nst, out, extra, args.size)
        outputs[name] = out
        e = {(p, q): region_error(args.nst, out, photo_masks[p], painting_mask=painting_masks[q])
             for p in REGIONS for q in REGIONS}
        print(f"| {name} | {e['sky', 'sky']:.4f} | {e['sky', 'ground']:.4f} | "
              f"{e['ground', 'ground']:.4f} | {e['ground', 'sky']:.4f} | {seconds:.1f} |", flush=True)
    if args.regions_strip:
        height = 220
        row = [
            tile(overlay(PHOTO, PHOTO_MAP, os.path.join(args.out_dir, "photo_map.png")), "photo + map", height),
            tile(overlay(PAINTING, PAINTING_MAP, os.path.join(args.out_dir, "painting_map.png")),
                 "painting + map", height),
            tile(outputs["plain"], "plain", height),
            tile(outputs["region maps"], "region maps", height),
        ]
        save_rows([row], args.regions_strip, height, 88)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("nst")
    parser.add_argument("out_dir")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--masks-strip")
    parser.add_argument("--regions-strip")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    measure_masks(args)
    measure_regions(args)


if __name__ == "__main__":
    main()
