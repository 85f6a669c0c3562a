"""Captum's side of bench_attribution: the same small CNN, image and methods, timed in Captum.

Builds bench_attribution's CNN (3 convolutions, ReLU, max pooling, a linear layer to 10 classes)
with torch.manual_seed(0), writes its weights (dict(state_dict), names "0.weight", ... as in a
C++ torch::nn::Sequential), the 1x3x32x32 input and Captum's attributions to --out, times each Captum method (one
warm-up call, then the median of --reps calls, in milliseconds) and prints one JSON line.
bench_attribution runs it and times gnnx on the same weights and input in the same run.

    OMP_NUM_THREADS=1 build/peers-venv/bin/python bench/captum_attribution.py --out /tmp/d
"""
import argparse
import json
import os
import statistics
import time
import warnings

import torch
import torch.nn as nn


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(32, 10)).eval()


def time_ms(f, reps):
    f()
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True, help="folder for weights.pt and input.pt")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import captum
    import captum.attr as ca

    torch.manual_seed(0)
    model = small_cnn()
    x = torch.randn(1, 3, 32, 32)
    os.makedirs(args.out, exist_ok=True)
    torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(args.out, "weights.pt"))
    torch.save(x, os.path.join(args.out, "input.pt"))
    with torch.no_grad():
        target = int(model(x).argmax(1))

    occlusion = ca.Occlusion(model)
    ig = ca.IntegratedGradients(model)
    smoothgrad = ca.NoiseTunnel(ca.Saliency(model))
    window = dict(sliding_window_shapes=(3, 8, 8), strides=(3, 4, 4))
    methods = {
        "saliency": lambda: ca.Saliency(model).attribute(x, target=target),
        # Captum's defaults: 50 Gauss-Legendre steps in one batch; one window per forward pass.
        "ig": lambda: ig.attribute(x, target=target, n_steps=50),
        "smoothgrad": lambda: smoothgrad.attribute(x, target=target, nt_type="smoothgrad", nt_samples=10,
                                                   stdevs=0.15),
        "occlusion": lambda: occlusion.attribute(x, target=target, **window),
        "occlusion_ppe49": lambda: occlusion.attribute(x, target=target, perturbations_per_eval=49, **window),
    }
    # The attributions themselves, for bench_attribution to compare: smoothgrad after
    # torch.manual_seed(0) draws the noise gnnx's NoiseTunnelOptions().seed(0) draws.
    for name in ("ig", "occlusion", "smoothgrad"):
        torch.manual_seed(0)
        torch.save(methods[name]().detach().contiguous(), os.path.join(args.out, f"att_{name}.pt"))
    result = {name: time_ms(f, args.reps) for name, f in methods.items()}
    result["captum"] = captum.__version__
    result["torch"] = torch.__version__
    result["threads"] = torch.get_num_threads()
    result["target"] = target
    print(json.dumps(result))


if __name__ == "__main__":
    main()
