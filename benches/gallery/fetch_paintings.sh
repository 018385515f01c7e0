#!/usr/bin/env bash
# Rebuild benches/gallery/paintings/*.jpg from Debian's gcompris-qt-data package (see SOURCES.md).
#
# Usage: fetch_paintings.sh [OUTDIR]     (default: the paintings/ folder next to this script)
# Needs: apt-get with a Debian source that carries gcompris-qt-data 3.1-2 (bookworm), dpkg-deb,
#        python3 with Pillow (`pip install pillow`). Byte-identical output was checked with
#        Pillow 13.0.0 (its bundled libjpeg-turbo and libwebp); other Pillow versions give the
#        same pictures but may give other JPEG bytes.
# Override the package version with PKG_VERSION=... (other versions are untested).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$(realpath -m "${1:-$HERE/paintings}")
PKG_VERSION=${PKG_VERSION:-3.1-2}
mkdir -p "$OUT"

python3 -c 'import PIL' 2>/dev/null || { echo "needs Pillow: pip install pillow" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
apt-get download "gcompris-qt-data=$PKG_VERSION" >/dev/null
dpkg-deb -x gcompris-qt-data_*_all.deb pkg

python3 - "$WORK/pkg/usr/share/gcompris-qt/rcc" "$OUT" <<'PY'
import io, re, struct, sys, zlib
from PIL import Image, ImageChops

RCC, OUT = sys.argv[1], sys.argv[2]

def read_rcc(path, prefix):
    """Files of a Qt resource bundle (.rcc, format versions 1-3) whose path starts with prefix."""
    b = open(path, 'rb').read()
    if b[:4] != b'qres':
        raise SystemExit(f'{path}: not a Qt rcc file')
    version, tree, data, names = struct.unpack('>IIII', b[4:20])
    node_size = 14 if version < 2 else 22      # version 2+ adds an 8-byte modification time

    def name_at(off):
        o = names + off
        n, = struct.unpack('>H', b[o:o + 2])     # length in UTF-16 units, then a 4-byte hash
        return b[o + 6:o + 6 + 2 * n].decode('utf-16-be')

    files = {}
    def walk(index, parent):
        o = tree + index * node_size
        name_off, flags = struct.unpack('>IH', b[o:o + 6])
        path = parent + '/' + name_at(name_off) if index else ''
        if flags & 2:                          # directory: child count, index of first child
            count, first = struct.unpack('>II', b[o + 6:o + 14])
            for i in range(count):
                walk(first + i, path)
            return
        if not path.startswith(prefix):
            return
        data_off, = struct.unpack('>I', b[o + 10:o + 14])   # after 2-byte country, 2-byte language
        d = data + data_off
        size, = struct.unpack('>I', b[d:d + 4])
        raw = b[d + 4:d + 4 + size]
        if flags & 1:                          # zlib, after a 4-byte uncompressed length (qCompress)
            raw = zlib.decompress(raw[4:])
        elif flags & 4:                        # zstd (not used by this package's bundles)
            import zstandard
            raw = zstandard.ZstdDecompressor().decompress(raw, max_output_size=1 << 28)
        files[path] = raw
    walk(0, '')
    return files

def save(im, name):
    im = im.convert('RGB')
    if max(im.size) > 640:                     # Lanczos downscale, longer side to 640 px
        s = 640 / max(im.size)
        im = im.resize((round(im.width * s), round(im.height * s)), Image.LANCZOS)
    im.save(f'{OUT}/{name}', quality=95)
    print(f'{name} {im.width}x{im.height}')

# "details" activity: whole paintings, *_background.webp (public domain per the bundle's README)
DET = '/gcompris/src/activities/details/resource/image/'
det = read_rcc(f'{RCC}/details.rcc', DET)
for src, name in [('VincentVanGogh0013', 'van_gogh_painter_on_the_road_to_tarascon.jpg'),
                  ('Eglise_dAuvers-sur-Oise', 'van_gogh_church_at_auvers.jpg'),
                  ('VincentVanGogh0019', 'van_gogh_the_harvest.jpg'),
                  ('VincentVanGoghBridge', 'van_gogh_langlois_bridge.jpg'),
                  ('PortraitOfPereTanguy', 'van_gogh_pere_tanguy.jpg')]:
    save(Image.open(io.BytesIO(det[f'{DET}{src}_background.webp'])), name)

# "paintings" activity: jigsaw puzzles; each board file places its pieces (centre x, y as
# fractions of the board's width and height). Reassemble, crop to the pieces, drop the last
# row (1-px seams), and fill the few see-through seam pixels with the pixel above.
PNT = '/gcompris/src/activities/paintings/resource/'
pnt = read_rcc(f'{RCC}/paintings.rcc', PNT)
for board, name in [('board14_0.qml', 'leonardo_mona_lisa.jpg'),
                    ('board2_0.qml', 'arcimboldo_spring.jpg'),
                    ('board6_0.qml', 'hokusai_ejiri_in_suruga.jpg')]:
    t = pnt[f'{PNT}board/{board}'].decode('utf-8')
    W = int(re.search(r'"width":\s*(\d+)', t).group(1))
    H = int(re.search(r'"height":\s*(\d+)', t).group(1))
    canvas = Image.new('RGBA', (W + 400, H + 400))
    pieces = re.findall(r'"pixmapfile"\s*:\s*"(image/[^"]+\.webp)",\s*"x"\s*:\s*"([\d.]+)",\s*"y"\s*:\s*"([\d.]+)"', t)
    assert pieces, board
    for f, x, y in pieces:
        p = Image.open(io.BytesIO(pnt[PNT + f])).convert('RGBA')
        canvas.alpha_composite(p, (int(round(float(x) * W + 200 - p.width / 2)),
                                   int(round(float(y) * H + 200 - p.height / 2))))
    c = canvas.crop(canvas.getbbox())
    c = c.crop((0, 0, c.width, c.height - 1))
    c = Image.alpha_composite(ImageChops.offset(c, 0, 1), c)
    save(c, name)
PY
