"""Contact sheets for the benches: labelled tiles of one height, one row a pair. Needs Pillow."""


def tile(image_path, label, height):
    """The image at `height` px with `label` on a white band (a grey blank if `image_path` is None)."""
    from PIL import Image, ImageDraw

    if image_path is None:
        im = Image.new("RGB", (int(height * 1.4), height), (235, 235, 235))
    else:
        im = Image.open(image_path).convert("RGB")
        im = im.resize((int(im.width * height / im.height), height), Image.LANCZOS)
    draw = ImageDraw.Draw(im)
    draw.rectangle([0, 0, im.width, 13], fill=(255, 255, 255))
    draw.text((3, 1), label, fill=(0, 0, 0))
    return im


def save_rows(rows, path, height, quality):
    """Rows of tiles, 4 px apart, on white, saved to `path`."""
    from PIL import Image

    width = max(sum(t.width for t in row) + 4 * (len(row) - 1) for row in rows)
    canvas = Image.new("RGB", (width, len(rows) * (height + 4)), (255, 255, 255))
    for y, row in enumerate(rows):
        x = 0
        for t in row:
            canvas.paste(t, (x, y * (height + 4)))
            x += t.width + 4
    canvas.save(path, quality=quality)
