#!/usr/bin/env python3
"""PyTorch's side of benches/gpu_check.sh: nst's default objective in PyTorch, timed.

The same VGG19 (weights/vgg19.safetensors, dequantised exactly as nst does: weight =
table[index]; Caffe preprocessing), layers (content relu4_2, style relu1_1..relu5_1), terms
(relative: ‖F − P‖²/‖P‖² and ‖G − A‖²/‖A‖² with G = FFᵀ/(H·W); content weight 1, style 3) and
images as nst's default recipe at one level. Prints one JSON line: the median seconds per
evaluation (loss and gradient with respect to the image, after warm-up), and the wall time and
evaluations of `--iterations` L-BFGS iterations (history 10, strong Wolfe, as nst; nst also
keeps the pixels in 0–255, which this unbounded run does not). Needs torch, numpy and pillow.

    python3 benches/gpu_check_torch.py --content C --style S [--size 512] [--iterations 500] [--device cuda]
"""
import argparse
import json
import os
import statistics
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEAN_BGR = torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
BLOCKS = [2, 2, 4, 4, 1]  # convolutions per block, up to conv5_1
STYLE = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
CONTENT = "relu4_2"
STYLE_WEIGHT = 3.0


def read_safetensors(path):
    """name → numpy array, without the safetensors package."""
    dtypes = {"U8": np.uint8, "F32": np.float32}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors


def vgg19_layers(device):
    """(name, weight, bias) of conv1_1..conv5_1, dequantised."""
    raw = read_safetensors(os.path.join(ROOT, "weights/vgg19.safetensors"))
    layers = []
    for block, convs in enumerate(BLOCKS, 1):
        for conv in range(1, convs + 1):
            key = f"block{block}_conv{conv}"
            weight = raw[f"{key}_W_table"][raw[f"{key}_W_q"].astype(np.int64)]
            layers.append((f"relu{block}_{conv}", torch.from_numpy(weight.copy()).to(device),
                           torch.from_numpy(raw[f"{key}_b"].copy()).to(device)))
    return layers


def features(layers, x):
    """The activations nst reads, for a 0–255 RGB image batch."""
    x = x.flip(1) - MEAN_BGR.to(x.device)  # RGB → BGR, minus the mean pixel
    out = {}
    for name, weight, bias in layers:
        if name.endswith("_1") and name != "relu1_1":
            x = F.max_pool2d(x, 2)
        x = F.relu(F.conv2d(x, weight, bias, padding=1))
        if name in STYLE or name == CONTENT:
            out[name] = x
    return out


def gram(f):
    _, c, h, w = f.shape
    f = f.reshape(c, h * w)
    return f @ f.t() / (h * w)


def load(path, size, device):
    image = Image.open(path).convert("RGB")
    scale = size / max(image.size)
    image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
    return torch.from_numpy(np.asarray(image, dtype=np.float32).copy()).permute(2, 0, 1)[None].contiguous().to(device)


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content", required=True)
    parser.add_argument("--style", required=True)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--evaluations", type=int, default=20, help="timed evaluations (after 3 to warm up)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = args.device
    started = time.perf_counter()
    layers = vgg19_layers(device)
    photo = load(args.content, args.size, device)
    with torch.no_grad():
        content_target = features(layers, photo)[CONTENT]
        style_targets = {n: gram(f) for n, f in features(layers, load(args.style, args.size, device)).items() if n in STYLE}

    def objective(x):
        seen = features(layers, x)
        content = (seen[CONTENT] - content_target).pow(2).sum() / content_target.pow(2).sum()
        style = sum((gram(seen[n]) - a).pow(2).sum() / a.pow(2).sum() for n, a in style_targets.items())
        return content + STYLE_WEIGHT * style

    x = photo.clone().requires_grad_(True)
    times = []
    for i in range(3 + args.evaluations):
        sync(device)
        t = time.perf_counter()
        x.grad = None
        loss = objective(x)
        loss.backward()
        sync(device)
        times.append(time.perf_counter() - t)
        if i == 0:
            first_done, initial_loss = time.perf_counter() - started, loss.item()

    x = photo.clone().requires_grad_(True)
    lbfgs = torch.optim.LBFGS([x], lr=1, max_iter=args.iterations, max_eval=args.iterations * 10, history_size=10,
                              tolerance_grad=0, tolerance_change=0, line_search_fn="strong_wolfe")
    evaluations = 0

    def closure():
        nonlocal evaluations
        evaluations += 1
        lbfgs.zero_grad()
        loss = objective(x)
        loss.backward()
        return loss

    sync(device)
    t = time.perf_counter()
    lbfgs.step(closure)
    sync(device)
    run_seconds = time.perf_counter() - t
    with torch.no_grad():
        final_loss = objective(x).item()
    name = torch.cuda.get_device_name() if device.startswith("cuda") else "CPU"
    print(json.dumps({
        "device": name, "torch": torch.__version__, "width": photo.shape[3], "height": photo.shape[2],
        "seconds_per_evaluation": statistics.median(times[3:]), "first_evaluation_done": first_done,
        "iterations": lbfgs.state[lbfgs._params[0]]["n_iter"], "evaluations": evaluations,
        "run_seconds": run_seconds, "initial_loss": initial_loss, "final_loss": final_loss,
    }))


if __name__ == "__main__":
    main()
