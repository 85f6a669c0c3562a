#!/usr/bin/env python3
"""Writes the TorchScript GNN fixtures of gnnx's tests (tests/data/script/), with PyG itself.

    build/peers-venv/bin/python scripts/peers/script_gnn_fixture.py --out tests/data/script

A PyG GCN(3, 8, num_layers=2, out_channels=3) with random weights (seed 0) on a 30-node random
graph, traced twice: with an edge_weight argument (gcn_weighted.pt, which mask-based explainers
can reach) and without (gcn_plain.pt). Also writes the graph (graph.pt: Data.to_dict()) and
PyG's logits on it (logits.pt), for the C++ tests to compare with.
"""
import argparse
import os

import torch


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default='tests/data/script')
    args = p.parse_args()
    from torch_geometric.data import Data
    from torch_geometric.nn import GCN
    from torch_geometric.utils import to_undirected

    torch.manual_seed(0)
    n = 30
    src = torch.randint(0, n, (60,))
    dst = torch.randint(0, n, (60,))
    keep = src != dst
    edge_index = to_undirected(torch.stack([src[keep], dst[keep]]), num_nodes=n)
    data = Data(x=torch.randn(n, 3), edge_index=edge_index)
    model = GCN(3, 8, num_layers=2, out_channels=3).eval()
    E = edge_index.size(1)

    class Weighted(torch.nn.Module):
        def __init__(self, gnn):
            super().__init__()
            self.gnn = gnn

        def forward(self, x, edge_index, edge_weight):
            return self.gnn(x, edge_index, edge_weight=edge_weight)

    os.makedirs(args.out, exist_ok=True)
    with torch.no_grad():
        weighted = torch.jit.trace(Weighted(model), (data.x, data.edge_index, torch.ones(E)))
        plain = torch.jit.trace(model, (data.x, data.edge_index))
        logits = model(data.x, data.edge_index)
        # A trace keeps no size fixed: check on a graph of another size.
        sub = edge_index[:, :E // 2]
        assert torch.allclose(weighted(data.x, sub, torch.ones(sub.size(1))), model(data.x, sub), atol=1e-6)
    weighted.save(os.path.join(args.out, 'gcn_weighted.pt'))
    plain.save(os.path.join(args.out, 'gcn_plain.pt'))
    torch.save(data.to_dict(), os.path.join(args.out, 'graph.pt'))
    torch.save(logits, os.path.join(args.out, 'logits.pt'))
    print(f'wrote {args.out}: {n} nodes, {E} edges, logits {tuple(logits.shape)}')


if __name__ == '__main__':
    main()
