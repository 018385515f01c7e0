#!/usr/bin/env bash
# Write numbered PNG frames (00001.png, 00002.png, ...) of a short real video clip, as test and
# bench input for `nst video`.
#
# The clip: box.mp4, a hand-held camera (640x480, 29.97 fps, 15.2 s, H.264) filming a hand
# carrying a painted box over a table; OpenCV's own sample for its real-time pose estimation
# tutorial (original author Edgar Riba; upstream
# samples/cpp/tutorial_code/calib3d/real_time_pose_estimation/Data/box.mp4), shipped gzipped in
# Debian's opencv-doc 4.6.0+dfsg-12 (bookworm) as
# usr/share/doc/opencv-doc/opencv4/html/box.mp4.gz. Licence: Apache-2.0 AND BSD-3-Clause, the
# `Files: *` stanza of that package's debian/copyright (no stanza covers it otherwise).
#
# Usage: benches/clip.sh [OUT_DIR] [--width W] [--frames N] [--start SECONDS]
#   OUT_DIR      default benches/clip/frames (ignored by git); numbered PNGs there are replaced
#   --width W    frame width in pixels, default 512; height keeps the 4:3 aspect ratio, rounded
#                to an even number (512 -> 384, 64 -> 48)
#   --frames N   how many consecutive frames, default 24 (0.8 s)
#   --start S    where to start in seconds, default 7.7 (the clip's frame 231): the box is
#                carried to the right and turned, with steady motion until about 9.4 s; the
#                clip's only jump (dropped frames) is at 12.2 s, and 0-2 s and 13-15 s are still
#
# Needs: apt-get (Debian bookworm sources), dpkg-deb, gzip, ffmpeg (installed with apt-get when
# missing and running as root). opencv-doc is 96 MB, so it is only downloaded (`apt-get
# download`), never installed, and the clip alone is taken out of it; the clip is kept as
# benches/clip/box.mp4 so later runs need no network. Override the package version with
# PKG_VERSION=... (other versions are untested). The PNGs were made with Debian's ffmpeg 5.1;
# other ffmpeg versions may give slightly different pixels.
#
# The test fixture tests/fixtures/clip/ was made with:
#   benches/clip.sh tests/fixtures/clip --width 64 --frames 3
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKG=opencv-doc
PKG_VERSION=${PKG_VERSION:-4.6.0+dfsg-12}
MEMBER=./usr/share/doc/opencv-doc/opencv4/html/box.mp4.gz
SHA256=62b744b99403f899707c43398a3822441add6160379ab6dd6c12bde9e3075f8d # of box.mp4 in 4.6.0+dfsg-12
CLIP=$HERE/clip/box.mp4

usage() { sed -n '13,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

out=$HERE/clip/frames
width=512
frames=24
start=7.7
positional=0
while (($#)); do
    case $1 in
        --width) width=${2:?--width needs a value}; shift 2 ;;
        --frames) frames=${2:?--frames needs a value}; shift 2 ;;
        --start) start=${2:?--start needs a value}; shift 2 ;;
        -h | --help) usage 0 ;;
        -*) echo "unknown option: $1" >&2; usage ;;
        *)
            ((positional == 0)) || { echo "only one OUT_DIR, got another: $1" >&2; usage; }
            out=$1; positional=1; shift ;;
    esac
done
[[ $width =~ ^[1-9][0-9]*$ ]] || { echo "--width must be a positive integer: $width" >&2; exit 2; }
[[ $frames =~ ^[1-9][0-9]*$ ]] || { echo "--frames must be a positive integer: $frames" >&2; exit 2; }
[[ $start =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "--start must be seconds, e.g. 7.7: $start" >&2; exit 2; }

if ! command -v ffmpeg >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "installing ffmpeg with apt-get" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
    else
        echo "needs ffmpeg: sudo apt-get install ffmpeg" >&2
        exit 1
    fi
fi

if [[ ! -f $CLIP ]] || ! echo "$SHA256  $CLIP" | sha256sum -c --quiet 2>/dev/null; then
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    echo "downloading $PKG=$PKG_VERSION (96 MB) for box.mp4" >&2
    (cd "$WORK" && apt-get download "$PKG=$PKG_VERSION" >/dev/null 2>&1) || {
        apt-get update -qq
        (cd "$WORK" && apt-get download "$PKG=$PKG_VERSION" >/dev/null)
    }
    dpkg-deb --fsys-tarfile "$WORK"/${PKG}_*_all.deb | tar -xO "$MEMBER" | gzip -dc >"$WORK/box.mp4"
    if ! echo "$SHA256  $WORK/box.mp4" | sha256sum -c --quiet; then
        [[ $PKG_VERSION == 4.6.0+dfsg-12 ]] && { echo "box.mp4: unexpected checksum" >&2; exit 1; }
        echo "warning: box.mp4 from $PKG $PKG_VERSION differs from 4.6.0+dfsg-12's" >&2
    fi
    mkdir -p "$(dirname "$CLIP")"
    mv "$WORK/box.mp4" "$CLIP"
fi

mkdir -p "$out"
find "$out" -maxdepth 1 -regextype posix-extended -regex '.*/[0-9]{5}\.png' -delete
# -ss before -i: exact seek (decodes from the keyframe before). lanczos for the downscale,
# -2: the height that keeps the aspect ratio, rounded to even. rgb24: 8-bit RGB PNGs; -pred
# mixed: smaller PNGs (per-row filters), same pixels.
# The clip's H.264 stream makes the decoder log two harmless errors at each start
# ("non-intra slice in an IDR NAL unit", "decode_slice_header error"); they are left out.
log=$(mktemp)
ffmpeg -nostdin -hide_banner -loglevel error -ss "$start" -i "$CLIP" -an -sn \
    -vf "scale=${width}:-2:flags=lanczos" -pix_fmt rgb24 -pred mixed -frames:v "$frames" -start_number 1 \
    "$out/%05d.png" 2>"$log" || { cat "$log" >&2; rm -f "$log"; exit 1; }
grep -vE 'non-intra slice in an IDR NAL unit|decode_slice_header error' "$log" >&2 || true
rm -f "$log"
written=$(find "$out" -maxdepth 1 -regextype posix-extended -regex '.*/[0-9]{5}\.png' | wc -l)
((written == frames)) || { echo "wrote $written frames, wanted $frames (past the clip's end?)" >&2; exit 1; }
echo "wrote $written frames to $out" >&2
