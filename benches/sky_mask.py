#!/usr/bin/env python3
"""Write a sky mask for a photo (white: sky) and its inverse, for `nst run --style-mask`:
in each column, the run of sky-blue pixels from the top edge down (blue above 120 and above red
by 25), closed over small gaps, blurred by a pixel.

Usage: benches/sky_mask.py PHOTO SKY.png REST.png
"""
import sys

import numpy as np
from PIL import Image, ImageFilter

photo, sky_path, rest_path = sys.argv[1:4]
a = np.asarray(Image.open(photo).convert("RGB")).astype(int)
r, g, b = a[..., 0], a[..., 1], a[..., 2]
blue = (b > 120) & (b > r + 25)
h, w = blue.shape
sky = np.zeros((h, w), dtype=bool)
for x in range(w):
    y = 0
    while y < h and blue[y:y + 4, x].any():
        y += 1
    sky[:y, x] = True
mask = Image.fromarray((sky * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1))
mask.save(sky_path)
Image.eval(mask, lambda v: 255 - v).save(rest_path)
print(f"sky: {sky.mean():.1%} of the photo")
