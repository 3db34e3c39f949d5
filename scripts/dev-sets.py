#!/usr/bin/env python3
"""Writes the fixed outlier sets the detector is designed and reported on (issue 14, docs/DETECTION.md).

Development only: the product never needs this script, Pillow, opencv-doc or the sets.

    pip install pillow; apt-get install opencv-doc
    python3 scripts/dev-sets.py [--out ~/.local/share/tangle/dev] [--cifar ~/.local/share/tangle/datasets/cifar10]

Design sets (the rule is chosen on these):
  opencv                 the 91 sample photos of Debian's opencv-doc, as they are (sizes and aspect ratios vary)
  cifar-train            1,000 CIFAR-10 *training* photos, 100 of every class (32x32 colour)
  opencv-letterbox       each opencv photo centred on black bars at aspect ratios 1:2, 3:4, 4:3 and 2:1
  cifar-train-letterbox  each of the 1,000 the same way (one ratio per photo, in turn)
  *-grey28               every set above as 28x28 grey: the centre square, resized (a photo "already
                         the model's size", which only the network's evidence can catch)
  opencv-digits          1,000 of the 5,000 handwritten digits in opencv-doc's digits.png (every
                         fifth), each 20x20 cell centred in 28x28 as MNIST lays digits out: digits,
                         never MNIST's test set, to design on (MNIST's test digits are report data)
Report sets (run once, with the rule frozen):
  cifar-test             1,000 CIFAR-10 *test* photos, 100 of every class
  cifar-test-grey28      the same as 28x28 grey

Every choice is deterministic (sorted names, fixed strides), so the sets are the same on every machine.
"""
import argparse
import os
import sys

from PIL import Image

OPENCV = "/usr/share/doc/opencv-doc/examples/data"
RATIOS = [(1, 2), (3, 4), (4, 3), (2, 1)]


def letterbox(im, ratio):
    """The photo centred on a black canvas of aspect ratio w:h, as large as it needs to be."""
    w, h = im.size
    rw, rh = ratio
    if w * rh >= h * rw:  # the photo is wider than the canvas ratio: bars above and below
        cw, ch = w, max(h, round(w * rh / rw))
    else:
        cw, ch = max(w, round(h * rw / rh)), h
    canvas = Image.new("RGB", (cw, ch), (0, 0, 0))
    canvas.paste(im.convert("RGB"), ((cw - w) // 2, (ch - h) // 2))
    return canvas


def grey28(im):
    """The centre square, grey, resized to 28x28."""
    w, h = im.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    return im.convert("L").crop((left, top, left + s, top + s)).resize((28, 28), Image.BILINEAR)


def cifar_pick(folder, per_class, stride):
    picked = []
    for cls in sorted(os.listdir(folder)):
        files = sorted(f for f in os.listdir(os.path.join(folder, cls)) if f.lower().endswith((".jpg", ".png")))
        picked += [(cls, os.path.join(folder, cls, f)) for f in files[::stride][:per_class]]
    return picked


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.expanduser("~/.local/share/tangle/dev"))
    ap.add_argument("--cifar", default=os.path.expanduser("~/.local/share/tangle/datasets/cifar10"))
    a = ap.parse_args()

    def save(im, set_name, name):
        d = os.path.join(a.out, set_name)
        os.makedirs(d, exist_ok=True)
        im.save(os.path.join(d, name))

    if not os.path.isdir(OPENCV):
        sys.exit(f"{OPENCV} is missing: apt-get install opencv-doc")
    photos = sorted(f for f in os.listdir(OPENCV) if f.lower().endswith((".jpg", ".png")))
    for i, f in enumerate(photos):
        im = Image.open(os.path.join(OPENCV, f))
        im.load()
        stem = os.path.splitext(f)[0]
        im_rgb = im.convert("RGB")
        save(im_rgb, "opencv", stem + ".png")
        save(grey28(im_rgb), "opencv-grey28", stem + ".png")
        for r in RATIOS:
            lb = letterbox(im_rgb, r)
            tag = f"{stem}-{r[0]}x{r[1]}.png"
            save(lb, "opencv-letterbox", tag)
            save(grey28(lb), "opencv-letterbox-grey28", tag)
    print(f"opencv: {len(photos)} photos, {len(photos) * len(RATIOS)} letterboxed")

    sheet = Image.open(os.path.join(OPENCV, "digits.png")).convert("L")
    cols, rows = sheet.size[0] // 20, sheet.size[1] // 20
    for i in range(0, cols * rows, 5):
        r, c = divmod(i, cols)
        canvas = Image.new("L", (28, 28), 0)
        canvas.paste(sheet.crop((c * 20, r * 20, c * 20 + 20, r * 20 + 20)), (4, 4))
        save(canvas, "opencv-digits", f"digit-{i:04d}.png")
    print(f"opencv-digits: {len(range(0, cols * rows, 5))} digits")

    for split, set_name, stride in [("train", "cifar-train", 45), ("test", "cifar-test", 9)]:
        folder = os.path.join(a.cifar, split)
        if not os.path.isdir(folder):
            sys.exit(f"{folder} is missing: put CIFAR-10 there as the README says (mkdir -p {a.cifar} && tar -xzf {split}.tar.gz -C {a.cifar}), or pass --cifar DIR")
        picked = cifar_pick(folder, 100, stride)
        for i, (cls, path) in enumerate(picked):
            im = Image.open(path).convert("RGB")
            name = f"{cls}-{os.path.splitext(os.path.basename(path))[0]}.png"
            save(im, set_name, name)
            save(grey28(im), set_name + "-grey28", name)
            if split == "train":
                lb = letterbox(im, RATIOS[i % len(RATIOS)])
                save(lb, set_name + "-letterbox", name)
                save(grey28(lb), set_name + "-letterbox-grey28", name)
        print(f"{set_name}: {len(picked)} photos")


if __name__ == "__main__":
    main()
