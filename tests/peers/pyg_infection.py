"""gnnx's infection benchmark against PyG's own InfectionDataset on the same graph and infected nodes.

For a few seeds, `gnnx dataset infection` writes its graph; PyG's InfectionDataset then labels
that graph (a GraphGenerator returning it) with the same infected nodes (its torch.randperm draw
replaced by a permutation that puts gnnx's infected nodes first). The features and labels must be
equal, and every directed edge of gnnx's infection paths must lie inside PyG's ground-truth mask
(PyG marks every edge leading away from an infected node within max_path_length hops, a superset).

    pyg_infection.py --gnnx build/src/cli/gnnx [--seeds 3]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
from torch_geometric.data import Data
from torch_geometric.datasets import InfectionDataset
from torch_geometric.datasets.graph_generator import GraphGenerator


class FixedGraph(GraphGenerator):
    def __init__(self, edge_index, num_nodes):
        super().__init__()
        self.edge_index, self.num_nodes = edge_index, num_nodes

    def __call__(self):
        return Data(edge_index=self.edge_index, num_nodes=self.num_nodes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gnnx", required=True)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            path = os.path.join(tmp, f"infection_{seed}.json")
            subprocess.run([args.gnnx, "dataset", "infection", "--seed", str(seed), "--out", path], check=True,
                           stdout=subprocess.DEVNULL)
            d = json.load(open(path))
            params = d["params"]
            g = d["graphs"][0]
            edge_index = torch.tensor(g["edge_index"], dtype=torch.long)
            x = torch.tensor(g["x"], dtype=torch.float)
            y = torch.tensor(g["y"], dtype=torch.long)
            gt = torch.tensor(g["edge_mask_gt"], dtype=torch.float)
            n = x.size(0)
            infected = torch.nonzero(x[:, 1] > 0.5).view(-1)
            rest = torch.nonzero(x[:, 1] <= 0.5).view(-1)
            perm = torch.cat([infected, rest])
            real_randperm = torch.randperm
            torch.randperm = lambda *a, **k: perm.clone()
            try:
                ds = InfectionDataset(FixedGraph(edge_index, n), num_infected_nodes=int(params["num_infected"]),
                                      max_path_length=int(params["max_path_length"]))
            finally:
                torch.randperm = real_randperm
            pyg = ds[0]
            same_x = torch.equal(pyg.x, x)
            same_y = torch.equal(pyg.y, y)
            inside = bool(((gt > 0.5) <= (pyg.edge_mask > 0.5)).all())
            print(f"seed {seed}: {n} nodes, {edge_index.size(1)} directed edges, {infected.numel()} infected; "
                  f"features equal: {same_x}; labels equal: {same_y} "
                  f"(classes {torch.bincount(y).tolist()}); gnnx path edges {int(gt.sum())} inside PyG's mask "
                  f"of {int(pyg.edge_mask.sum())}: {inside}")
            failures += (not same_x) + (not same_y) + (not inside)
    print("pyg_infection:", "ok" if failures == 0 else f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
