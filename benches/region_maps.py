#!/usr/bin/env python3
"""Write the colour-coded region maps for `nst run --content-regions MAP --style-regions MAP`
(guided Gram matrices, Gatys et al. 2017: each colour of the photo's map takes its style
statistics from the same colour of the painting's map), and the small test fixtures for them.

Two colours: pure blue (0,0,255) is sky, pure red (255,0,0) is ground (everything else). Every
PNG written has hard edges and exactly these colours (the three-colour fixture adds pure green).

- examples/castle_regions.png: castle.jpg's map, 1024×683, from the sky mask
  examples/castle_sky.png (made by benches/sky_mask.py) thresholded at 128: sky blue, rest red.
- examples/starry_night_regions.png: The Starry Night's map, 724×572: the sky above a
  hand-traced horizon (the line of the blue hills and the village) blue; the ground below it and
  the dark cypress in the left foreground, which rises high into the sky, red. The outlines are
  polygons in fractions of the width and height, so they fit the painting at any size.
- tests/fixtures/regions/cat_regions.png: examples/cat.png's size (451×300), top half blue,
  bottom half red.
- tests/fixtures/regions/painting_regions.jpg: the size of examples/night_cafe.jpg (634×500, the
  painting the tests pass to --style), left half blue, right half red, saved as JPEG quality 70 so
  that the boundary has near-colours (blocking and ringing) that a reader must snap to blue/red.
- tests/fixtures/regions/three_colours.png: the cat's size, three vertical bands blue, red and
  green (0,255,0), for the "more colours than the other map" cases.

Each map's share of each colour is printed (for the JPEG: each pixel counted as the nearest of
the two colours, plus how many pixels are not exactly either, and how many are off by more than
16 in some channel: the boundary blocks).

Usage, from the repository root: benches/region_maps.py   (no arguments; overwrites the files)
"""
import os

import numpy as np
from PIL import Image, ImageDraw

BLUE = (0, 0, 255)  # sky
RED = (255, 0, 0)  # ground: everything else
GREEN = (0, 255, 0)  # only in the three-colour fixture
NAMES = {BLUE: "blue (sky)", RED: "red (ground)", GREEN: "green"}

# The Starry Night, traced by eye on 1 % grids over enlarged crops of the 724×572 copy and
# checked against the outline drawn back on the painting; (x, y) as fractions of the width and
# height, y down.
#
# The horizon, left to right: where the sky stops and the hills (or the village) begin. On the
# left, behind the cypress, the low dark hill line; from the cypress's right edge it follows the
# top of the long blue hill, climbing to the right, then the dark hill ending at the right edge.
# Under the cypress (x 0.14 .. 0.39) the line does not matter: the cypress is red.
HORIZON = [
    (0.000, 0.760), (0.025, 0.756), (0.075, 0.742), (0.125, 0.733), (0.150, 0.728),
    (0.370, 0.722), (0.400, 0.703), (0.420, 0.692), (0.440, 0.686), (0.475, 0.685),
    (0.500, 0.676), (0.525, 0.668), (0.550, 0.660), (0.580, 0.658), (0.600, 0.645),
    (0.620, 0.634), (0.640, 0.627), (0.660, 0.625), (0.680, 0.627), (0.700, 0.632),
    (0.720, 0.633), (0.740, 0.630), (0.760, 0.625), (0.780, 0.616), (0.800, 0.610),
    (0.820, 0.603), (0.840, 0.595), (0.860, 0.590), (0.872, 0.583), (0.870, 0.575),
    (0.875, 0.565), (0.885, 0.555), (0.900, 0.553), (0.920, 0.543), (0.915, 0.535),
    (0.912, 0.523), (0.920, 0.520), (0.930, 0.515), (0.940, 0.510), (0.950, 0.505),
    (0.970, 0.503), (0.995, 0.505), (1.000, 0.505),
]

# The cypress, clockwise from its tip: down the right edge (the main trunk, a notch of sky, the
# second flame on its right), along the bottom edge of the painting, up the left edge (with the
# two small flames that split off its left side at about a third of the height).
CYPRESS = [
    (0.194, 0.052),  # the tip
    (0.199, 0.100), (0.199, 0.150), (0.201, 0.200), (0.206, 0.250), (0.215, 0.275),
    (0.220, 0.300), (0.225, 0.350), (0.232, 0.400), (0.237, 0.450), (0.244, 0.500),
    (0.249, 0.540), (0.252, 0.570),
    (0.265, 0.620), (0.275, 0.630),  # the notch between the trunk and the second flame
    (0.285, 0.590), (0.297, 0.563),  # the second flame's tip
    (0.302, 0.600), (0.308, 0.630), (0.315, 0.650), (0.330, 0.670), (0.340, 0.680),
    (0.355, 0.700), (0.368, 0.720), (0.380, 0.740), (0.385, 0.750),
    (0.400, 0.800), (0.450, 1.000),  # below the horizon: ground anyway
    (0.120, 1.000), (0.145, 0.740),
    (0.148, 0.700), (0.150, 0.550), (0.151, 0.450), (0.150, 0.360),
    (0.152, 0.327),  # the outer left flame's tip
    (0.176, 0.340),  # the gap between the two left flames
    (0.182, 0.314),  # the inner left flame's tip
    (0.182, 0.250), (0.180, 0.200), (0.181, 0.150), (0.185, 0.100),
]


def scaled(points, w, h):
    """Fractions of the size -> pixel coordinates for ImageDraw."""
    return [(x * w, y * h) for x, y in points]


def starry_night_map(w, h):
    """Red everywhere, the sky above HORIZON blue, then the cypress red again. ImageDraw fills
    polygons without antialiasing, so the map has only the two colours."""
    im = Image.new("RGB", (w, h), RED)
    draw = ImageDraw.Draw(im)
    sky = [(1.0, 0.0), (0.0, 0.0)] + HORIZON  # top edge right to left, then the horizon
    draw.polygon(scaled(sky, w, h), fill=BLUE)
    draw.polygon(scaled(CYPRESS, w, h), fill=RED)
    return im


def castle_map(sky_mask_path):
    """The sky mask (white: sky, blurred by a pixel) thresholded at 128: sky blue, rest red."""
    sky = np.asarray(Image.open(sky_mask_path).convert("L")) >= 128
    return Image.fromarray(np.where(sky[..., None], BLUE, RED).astype(np.uint8), "RGB")


def bands(w, h, colours, vertical):
    """Equal bands of `colours`, left to right (vertical) or top to bottom; edges rounded."""
    a = np.zeros((h, w, 3), dtype=np.uint8)
    n = len(colours)
    length = w if vertical else h
    for i, colour in enumerate(colours):
        lo, hi = round(length * i / n), round(length * (i + 1) / n)
        if vertical:
            a[:, lo:hi] = colour
        else:
            a[lo:hi, :] = colour
    return Image.fromarray(a, "RGB")


def shares(path):
    """Print each colour's share of the map at `path` as read back from disk. Exact colours for
    PNGs; for a JPEG, each pixel counted as the nearest of blue and red."""
    a = np.asarray(Image.open(path).convert("RGB")).astype(int)
    total = a.shape[0] * a.shape[1]
    if path.endswith(".jpg"):
        palette = np.array([BLUE, RED])
        nearest = ((a[..., None, :] - palette) ** 2).sum(-1).argmin(-1)
        parts = [f"{NAMES[c]} {np.mean(nearest == i):.1%}" for i, c in enumerate((BLUE, RED))]
        # JPEG's colour conversion leaves even the flat areas a step or two off (0,0,254) and
        # (254,0,2); the blocks along the boundary hold the real near-colours.
        off = np.abs(a - palette[nearest]).max(-1)
        parts.append(f"{np.mean(off > 0):.1%} not exactly either")
        parts.append(f"{np.mean(off > 16):.1%} off by more than 16")
    else:
        colours, counts = np.unique(a.reshape(-1, 3), axis=0, return_counts=True)
        pairs = zip(colours.tolist(), counts)
        parts = [f"{NAMES.get(tuple(c), tuple(c))} {n / total:.1%}" for c, n in pairs]
    w, h = a.shape[1], a.shape[0]
    print(f"{path} ({w}×{h}, {os.path.getsize(path)} bytes): " + ", ".join(parts))


def size_of(path):
    with Image.open(path) as im:
        return im.size


def main():
    castle_map("examples/castle_sky.png").save("examples/castle_regions.png")
    assert size_of("examples/castle_regions.png") == size_of("examples/castle.jpg")

    painting = starry_night_map(*size_of("examples/starry_night.jpg"))
    painting.save("examples/starry_night_regions.png")

    os.makedirs("tests/fixtures/regions", exist_ok=True)
    cat_w, cat_h = size_of("examples/cat.png")
    bands(cat_w, cat_h, [BLUE, RED], vertical=False).save("tests/fixtures/regions/cat_regions.png")
    paint_w, paint_h = size_of("examples/night_cafe.jpg")
    bands(paint_w, paint_h, [BLUE, RED], vertical=True).save(
        "tests/fixtures/regions/painting_regions.jpg", quality=70
    )
    bands(cat_w, cat_h, [BLUE, RED, GREEN], vertical=True).save(
        "tests/fixtures/regions/three_colours.png"
    )

    for path in [
        "examples/castle_regions.png",
        "examples/starry_night_regions.png",
        "tests/fixtures/regions/cat_regions.png",
        "tests/fixtures/regions/painting_regions.jpg",
        "tests/fixtures/regions/three_colours.png",
    ]:
        shares(path)


if __name__ == "__main__":
    main()
