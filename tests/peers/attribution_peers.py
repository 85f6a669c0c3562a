"""gnnx's image attributions against the peer libraries themselves (Captum, Zennit, pytorch-grad-cam).

A small CNN is built and scripted here, every method runs in the peer library and through
`gnnx attribute` on the same model, input and class, and the maps must agree within 1e-5 of the
largest |value| of the peer's map, with the shape the peer returns. The noise tunnel cases use the
same noise on both sides: Captum's draw after torch.manual_seed(k) is the one `gnnx attribute
--seed k` makes (gnnx::torch_generator). Prints one line per method and
a closing "N passed, N failed" line; exits 1 on any disagreement.

A case listed in KNOWN_DISAGREEMENTS is a disagreement that is known and not yet mended: it is
reported as "known", counted apart, and fails the run if it starts to agree (so the list is kept
true).

    build/peers-venv/bin/python tests/peers/attribution_peers.py --gnnx build/src/cli/gnnx
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

import torch
import torch.nn as nn


# name -> why gnnx and the peer differ today.
KNOWN_DISAGREEMENTS = {}


def make_model():
    torch.manual_seed(0)
    model = nn.Sequential()
    model.add_module("conv1", nn.Conv2d(3, 6, 3, padding=1))
    model.add_module("relu1", nn.ReLU())
    model.add_module("pool1", nn.MaxPool2d(2))
    model.add_module("conv2", nn.Conv2d(6, 8, 3, padding=1))
    model.add_module("relu2", nn.ReLU())
    model.add_module("pool2", nn.AdaptiveAvgPool2d(1))
    model.add_module("flatten", nn.Flatten())
    model.add_module("fc", nn.Linear(8, 4))
    return model.eval()


def captum_cases(model, x, target):
    import captum.attr as ca

    def run(algorithm, **kw):
        return lambda: algorithm.attribute(x, target=target, **kw).detach()

    return [
        ("saliency", ["--method", "saliency"], run(ca.Saliency(model))),
        ("saliency (signed)", ["--method", "saliency", "-o", "abs=false"], run(ca.Saliency(model), abs=False)),
        ("gradxinput", ["--method", "gradxinput"], run(ca.InputXGradient(model))),
        ("ig gausslegendre", ["--method", "ig", "--steps", "32"], run(ca.IntegratedGradients(model), n_steps=32)),
        ("ig riemann_trapezoid", ["--method", "ig", "--steps", "32", "--ig-method", "riemann_trapezoid"],
         run(ca.IntegratedGradients(model), n_steps=32, method="riemann_trapezoid")),
        ("ig riemann_left", ["--method", "ig", "--steps", "16", "--ig-method", "riemann_left"],
         run(ca.IntegratedGradients(model), n_steps=16, method="riemann_left")),
        ("guided-backprop", ["--method", "guided-backprop"], run(ca.GuidedBackprop(model))),
        ("deconvnet", ["--method", "deconvnet"], run(ca.Deconvolution(model))),
        ("occlusion", ["--method", "occlusion", "--window", "3,4,4", "--strides", "3,2,2"],
         run(ca.Occlusion(model), sliding_window_shapes=(3, 4, 4), strides=(3, 2, 2))),
        # LayerGradCam: [B, 1, h, w] on the layer's grid, no ReLU (relu_attributions=False).
        ("gradcam (layer conv2)", ["--method", "gradcam", "--layer", "conv2", "--cam-output", "layer", "-o", "relu=false"],
         run(ca.LayerGradCam(model, model.conv2))),
        ("gradcam relu (layer relu2)", ["--method", "gradcam", "--layer", "relu2", "--cam-output", "layer"],
         run(ca.LayerGradCam(model, model.relu2), relu_attributions=True)),
    ]


def noise_tunnel_cases(model, x, target):
    """Captum's NoiseTunnel after torch.manual_seed(seed): gnnx --seed draws the same noise (one
    float32 draw of [B*S, C, H, W], as Captum's torch.normal(0, stdev) over all samples at once)."""
    import captum.attr as ca

    def run(algorithm, seed, **kw):
        def f():
            torch.manual_seed(seed)
            return algorithm.attribute(x, target=target, **kw).detach()
        return f

    cases = []
    for nt_type, samples, stdev, seed in [("smoothgrad", 8, 0.3, 5), ("smoothgrad_sq", 6, 0.5, 11),
                                          ("vargrad", 6, 0.5, 11)]:
        cases.append((f"noise tunnel {nt_type} (saliency)",
                      ["--method", "smoothgrad", "--type", nt_type, "--samples", str(samples), "--stdev", str(stdev),
                       "--seed", str(seed)],
                      run(ca.NoiseTunnel(ca.Saliency(model)), seed, nt_type=nt_type, nt_samples=samples,
                          stdevs=stdev)))
    cases.append(("noise tunnel smoothgrad (ig riemann_trapezoid)",
                  ["--method", "noise-tunnel", "-o", "base=ig", "--steps", "16", "--ig-method", "riemann_trapezoid",
                   "--samples", "3", "--stdev", "0.2", "--seed", "3"],
                  run(ca.NoiseTunnel(ca.IntegratedGradients(model)), 3, nt_type="smoothgrad", nt_samples=3,
                      stdevs=0.2, n_steps=16, method="riemann_trapezoid")))
    return cases


def gradcam_cases(model, x, target):
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    def run(cls):
        def f():
            with cls(model=model, target_layers=[model.relu2]) as cam:
                return torch.from_numpy(cam(input_tensor=x, targets=[ClassifierOutputTarget(target)]))
        return f

    # pytorch-grad-cam returns [B, H, W]: min-max normalised, upsampled, min-max normalised again.
    cam = ["--layer", "relu2", "--cam-output", "input", "-o", "normalize=true"]
    return [
        ("grad-cam gradcam (layer relu2)", ["--method", "gradcam"] + cam, run(GradCAM)),
        ("grad-cam gradcam++ (layer relu2)", ["--method", "gradcam++"] + cam, run(GradCAMPlusPlus)),
    ]


def zennit_cases(model, x, target):
    from zennit.attribution import Gradient
    from zennit.composites import EpsilonPlusFlat, EpsilonAlpha2Beta1

    def run(composite):
        def f():
            with Gradient(model=model, composite=composite) as attributor:
                out = model(x)
                grad_out = torch.zeros_like(out)
                grad_out[:, target] = 1.0
                _, rel = attributor(x, grad_out)
            return rel.detach()
        return f

    return [
        ("zennit epsilon-plus-flat", ["--method", "lrp", "--composite", "epsilon-plus-flat", "-o", "output=one"],
         run(EpsilonPlusFlat())),
        ("zennit epsilon-alpha2-beta1", ["--method", "lrp", "--composite", "epsilon-alpha2-beta1", "-o", "output=one"],
         run(EpsilonAlpha2Beta1())),
    ]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gnnx", required=True, help="the gnnx command-line tool")
    p.add_argument("--only", default="", help="run the cases whose name contains this text")
    args = p.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)  # Captum's notes on requires_grad and hooks
    model = make_model()
    torch.manual_seed(1)
    x = torch.randn(1, 3, 12, 12)
    target = int(model(x).argmax(1))
    work = tempfile.mkdtemp(prefix="gnnx_peers_")
    scripted = torch.jit.script(model)
    model_path, input_path = os.path.join(work, "model.pt"), os.path.join(work, "x.pt")
    scripted.save(model_path)
    torch.save(x, input_path)

    cases = (captum_cases(model, x, target) + noise_tunnel_cases(model, x, target) + gradcam_cases(model, x, target)
             + zennit_cases(model, x, target))
    passed = failed = known = 0
    for name, gnnx_args, peer in cases:
        if args.only and args.only not in name:
            continue
        ok, detail = compare(name, gnnx_args, peer, args.gnnx, model_path, input_path, target, work)
        if name in KNOWN_DISAGREEMENTS:
            if ok:
                print(f"FAIL {name}: listed as a known disagreement but agrees now ({detail}): update the list")
                failed += 1
            else:
                print(f"known {name}: {detail} -- {KNOWN_DISAGREEMENTS[name]}")
                known += 1
            continue
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        passed += ok
        failed += not ok
    print(json.dumps({"peers": "attribution", "passed": passed, "failed": failed, "known_disagreements": known}))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def compare(name, gnnx_args, peer, gnnx, model_path, input_path, target, work):
    """Runs the peer and gnnx; returns (agree, a one-line account)."""
    ref = peer().float()
    out_path = os.path.join(work, "a.pt")
    cmd = [gnnx, "attribute", "--model", model_path, "--input", input_path, "--target", str(target),
           "--out", out_path] + gnnx_args
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        return False, f"gnnx exited {run.returncode}: {run.stderr.strip().splitlines()[-1:]}"
    got = torch.load(out_path).float()
    if got.shape != ref.shape:
        return False, f"shape {tuple(got.shape)}, the peer returns {tuple(ref.shape)}"
    err = (got - ref).abs().max().item() / max(ref.abs().max().item(), 1e-30)
    return err <= 1e-5, f"max |gnnx - peer| / max |peer| = {err:.2e}"


if __name__ == "__main__":
    sys.exit(main())
