#!/usr/bin/env python3
"""The gallery: every photo/painting pair painted with one command, scored, on one contact sheet.

Built to catch what the readout cannot (it is the default's own loss): figures of the painting
pasted into the photo (ghosts) and the photo's palette kept. Pairs mix photos with paintings of
people and objects, dark, pale and monochrome paintings (benches/gallery/SOURCES.md).

    cargo build --release
    benches/gallery/fetch_paintings.sh          # the paintings, from Debian's gcompris-qt-data
    python3 benches/gallery.py render --out /tmp/gallery --tag after
    python3 benches/gallery.py render --out /tmp/gallery --tag before -- --config benches/recipes/default_2026_12_05.toml
    python3 benches/gallery.py sheet --out /tmp/gallery --tags before,after

`render` runs `nst run -c PHOTO -s PAINTING --json` for each pair (extra arguments after `--`),
timing each from process start, and keeps each end event (readout and measures) in
OUT/TAG/results.json. `sheet` draws OUT/gallery.jpg (one row a pair: photo, painting, then each
tag's picture with its colour distance, structure and content error) and prints the
table of docs/measurements.md (The gallery), with seconds. Needs Pillow.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import contact_sheet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NST = os.environ.get("NST_BIN", os.path.join(ROOT, "target", "release", "nst"))
EX = os.path.join(ROOT, "examples")
PAINTINGS = os.path.join(ROOT, "benches", "gallery", "paintings")
# The photos and paintings examples/ does not ship: ../shared/images, which
# shared/images/tools/make_best.sh rebuilds from Debian and PyPI packages.
SHARED = os.environ.get("NST_SHARED_IMAGES", os.path.join(os.path.dirname(ROOT), "shared", "images"))


def ex(name):
    return os.path.join(EX, name)


def pt(name):
    return os.path.join(PAINTINGS, name)


def sh(name):
    return os.path.join(SHARED, name)


# name: (photo, painting, what the painting tests). Figures: a painting's people or objects are
# what a ghost would paste into the photo; dark, pale, monochrome: whether its palette comes
# through.
PAIRS = {
    "castle_tanguy": (ex("castle.jpg"), pt("van_gogh_pere_tanguy.jpg"), "figures: a face and hands"),
    "building_tarascon": (sh("content_building_opencv.jpg"), pt("van_gogh_painter_on_the_road_to_tarascon.jpg"),
                          "figures: a walking man"),
    "machu_auvers": (ex("machu_picchu.jpg"), pt("van_gogh_church_at_auvers.jpg"), "objects: a church"),
    "cat_harvest": (ex("cat.png"), pt("van_gogh_the_harvest.jpg"), "objects: cart, haystacks"),
    "building_mona_lisa": (sh("content_building_opencv.jpg"), pt("leonardo_mona_lisa.jpg"), "dark, a face"),
    "castle_arcimboldo": (ex("castle.jpg"), pt("arcimboldo_spring.jpg"), "dark, a head of flowers"),
    "astronaut_tanguy": (sh("content_portrait_astronaut_eileen_collins.png"), pt("van_gogh_pere_tanguy.jpg"),
                         "figures, portrait on portrait"),
    "hopper_langlois": (sh("content_portrait_grace_hopper.jpg"), pt("van_gogh_langlois_bridge.jpg"),
                        "pale, a bridge"),
    "machu_ejiri": (ex("machu_picchu.jpg"), pt("hokusai_ejiri_in_suruga.jpg"), "near-monochrome print, figures"),
    "astronaut_brick": (sh("content_portrait_astronaut_eileen_collins.png"), sh("style_texture_brick_gray.png"),
                        "monochrome grey texture"),
    "castle_starry": (ex("castle.jpg"), ex("starry_night.jpg"), "the headline pair"),
    "hopper_kandinsky": (sh("content_portrait_grace_hopper.jpg"), sh("style_kandinsky_composition_viii.jpg"),
                         "abstract, pale ground"),
    "cat_night_cafe": (ex("cat.png"), ex("night_cafe.jpg"), "saturated reds and greens, figures"),
    "machu_wave": (ex("machu_picchu.jpg"), sh("style_hokusai_great_wave.jpg"), "the wave's layout"),
}


def render(out, tag, extra, only):
    folder = os.path.join(out, tag)
    os.makedirs(folder, exist_ok=True)
    results_path = os.path.join(folder, "results.json")
    results = json.load(open(results_path)) if os.path.exists(results_path) else {}
    for name, (photo, painting, _) in PAIRS.items():
        if only and name not in only:
            continue
        output = os.path.join(folder, f"{name}.png")
        started = time.perf_counter()
        done = subprocess.run([NST, "run", "-c", photo, "-s", painting, "-o", output, "--json", "-q", *extra],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"{name}: nst failed ({done.returncode}): {done.stderr}")
        end = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")][-1]["summary"]
        results[name] = {"image": output, "seconds": seconds, "readout": end["readout"],
                         "measures": end["measures"]}
        m = end["measures"]
        print(f"{tag} {name}: {seconds:.1f} s, colour {m['colour_distance']:.2f}, structure "
              f"{m['structure']:.3f}, content {end['readout']['content']['relu4_2']:.3f}", flush=True)
        json.dump(results, open(results_path, "w"), indent=1)


def sheet(out, tags, height=120):
    results = {tag: json.load(open(os.path.join(out, tag, "results.json"))) for tag in tags}

    def tile(path, label):
        return contact_sheet.tile(path, label, height)

    rows, table = [], []
    for name, (photo, painting, kind) in PAIRS.items():
        row = [tile(photo, f"{name}: photo"), tile(painting, "painting")]
        cells = []
        for tag in tags:
            r = results[tag].get(name)
            if r is None:
                row.append(tile(None, f"{tag}: not run"))
                cells.append("–")
                continue
            m, c = r["measures"], r["readout"]["content"]["relu4_2"]
            # No seconds on the picture: a time is only worth showing from a quiet machine, and
            # the table below (with its times) is where each run's conditions are said.
            row.append(tile(r["image"], f"{tag}: colour {m['colour_distance']:.1f}, "
                                        f"ssim {m['structure']:.2f}, c {c:.2f}"))
            cells.append(f"{m['colour_distance']:.2f} / {m['structure']:.3f} / {c:.3f} / {r['seconds']:.0f} s")
        rows.append(row)
        table.append(f"| {name} | {kind} | " + " | ".join(cells) + " |")
    path = os.path.join(out, "gallery.jpg")
    contact_sheet.save_rows(rows, path, height, quality=80)
    print(f"wrote {path}")
    print("| pair | painting | " + " | ".join(f"{t}: colour / structure / content / time" for t in tags) + " |")
    print("|---|---|" + "---|" * len(tags))
    print("\n".join(table))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["render", "sheet"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--tag", default="after")
    parser.add_argument("--tags", default="before,after")
    parser.add_argument("--pairs", default="", help="comma-separated subset of the pairs")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []  # more nst run arguments
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if args.command == "render":
        render(args.out, args.tag, extra, [p for p in args.pairs.split(",") if p])
    else:
        sheet(args.out, args.tags.split(","))


if __name__ == "__main__":
    main()
