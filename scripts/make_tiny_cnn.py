#!/usr/bin/python3
"""Writes the TorchScript fixtures of the attribution tests (needs python3-torch, Debian's 1.13).

    /usr/bin/python3 scripts/make_tiny_cnn.py tests/data

tiny_cnn.pt         a scripted nn.Sequential CNN, 3x8x8 -> 3 logits (children run in order, so
                    gnnx's sequential adapter sees its layers)
tiny_cnn_input.pt   torch.save of an input [2, 3, 8, 8]
tiny_cnn_logits.pt  torch.save of the model's logits on that input, computed here in Python
tiny_cnn_saliency.pt  torch.save of the signed input gradient of logit 1 (sum over the batch),
                    computed here with torch.autograd in Python
tiny_residual.pt    a scripted CNN whose forward is NOT its children in order (a residual add
                    and torch.flatten), which gnnx's layer-based methods must refuse
"""
import os
import sys

import torch
from torch import nn


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        h = self.relu(self.conv(x)) + x
        return self.fc(torch.flatten(self.pool(h), 1))


def main(out_dir):
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(6, 3),
    ).eval()
    x = torch.randn(2, 3, 8, 8)
    scripted = torch.jit.script(model)
    scripted.save(os.path.join(out_dir, "tiny_cnn.pt"))
    torch.save(x, os.path.join(out_dir, "tiny_cnn_input.pt"))
    with torch.no_grad():
        torch.save(model(x), os.path.join(out_dir, "tiny_cnn_logits.pt"))
    xg = x.clone().requires_grad_(True)
    model(xg)[:, 1].sum().backward()
    torch.save(xg.grad, os.path.join(out_dir, "tiny_cnn_saliency.pt"))
    torch.manual_seed(1)
    torch.jit.script(Residual().eval()).save(os.path.join(out_dir, "tiny_residual.pt"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data")
