#!/usr/bin/env python3
"""Explaining a regression GNN that PyG trained: gnnx's GNNExplainer and PGExplainer beside PyG's.

    build/peers-venv/bin/python tests/peers/pyg_regression.py --gnnx build/src/cli/gnnx [--nodes 40 --runs 2]

The model is PyG's GCN(1, 20, num_layers=3, out_channels=1, jk='cat') regressing a real number
per node of PyG's BA-Shapes, its role (0 in the base graph, 1 to 3 in a house) as a float, trained
by the mean squared error (Adam lr 0.01, weight decay 5e-4). --fixture reads the graph and that
model from tests/data (pyg_ba_shapes_graph.pt, pyg_ba_shapes_gcn_regression.pt), as the test does;
without it the script builds and trains them (--write-fixture FOLDER saves the pair there).

Every k-th motif node is explained (--nodes of them) by `gnnx explain --mode regression` and by
PyG's Explainer with model_config mode='regression' (GNNExplainer, 100 epochs, and PGExplainer,
30 epochs, trained on the same nodes); both explain the model's own output. Measured side by side:
the edge ROC AUC against the planted houses (pooled over each node's 3-hop edges, as PyG's
examples score it) and the seconds. Also checked: gnnx reports the model's whole-graph output as
the value explained. Prints a table and one JSON line; exits 1 when gnnx's mean AUC falls below
PyG's less --auc-margin or the explained outputs differ from the full graph's.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyg_gnnexplainer import auc, dense  # noqa: E402

MODEL_FILE = 'pyg_ba_shapes_gcn_regression.pt'


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--gnnx', required=True, help='the gnnx command-line tool')
    p.add_argument('--nodes', type=int, default=40, help='motif nodes explained (every 400/N-th)')
    p.add_argument('--train-epochs', type=int, default=1000, help="epochs of the GCN's training")
    p.add_argument('--epochs', type=int, default=100, help='GNNExplainer epochs (both sides)')
    p.add_argument('--pg-epochs', type=int, default=30, help='PGExplainer epochs (both sides)')
    p.add_argument('--runs', type=int, default=2, help='explainer seeds per side')
    p.add_argument('--auc-margin', type=float, default=0.05, help="gnnx's mean AUC must reach PyG's less this")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='', help='keep the files here (default: a temporary folder)')
    p.add_argument('--fixture', default='', help=f'read pyg_ba_shapes_graph.pt and {MODEL_FILE} from this folder')
    p.add_argument('--write-fixture', default='', help=f'after training, save the graph and {MODEL_FILE} here')
    return p.parse_args()


def make_model():
    from torch_geometric.nn import GCN
    return GCN(1, hidden_channels=20, num_layers=3, out_channels=1, jk='cat')


def build_and_train(args):
    import torch_geometric
    import torch_geometric.transforms as T
    from torch_geometric.data import Data
    from torch_geometric.datasets import ExplainerDataset
    from torch_geometric.datasets.graph_generator import BAGraph
    from torch_geometric.datasets.motif_generator import HouseMotif
    torch_geometric.seed_everything(args.seed)
    if args.fixture:
        data = Data.from_dict(torch.load(os.path.join(args.fixture, 'pyg_ba_shapes_graph.pt')))
    else:
        data = ExplainerDataset(graph_generator=BAGraph(num_nodes=300, num_edges=5), motif_generator=HouseMotif(),
                                num_motifs=80, transform=T.Constant())[0]
    model = make_model()
    target = data.y.float().view(-1, 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for _ in range(args.train_epochs):
        model.train()
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(data.x, data.edge_index), target)
        loss.backward()
        opt.step()
    model.eval()
    return data, model


def mse(data, model):
    with torch.no_grad():
        return float(torch.nn.functional.mse_loss(model(data.x, data.edge_index), data.y.float().view(-1, 1)))


def pyg_run(args, data, model, nodes, seed, method):
    from torch_geometric.explain import Explainer, GNNExplainer, PGExplainer
    torch.manual_seed(seed)
    config = dict(mode='regression', task_level='node', return_type='raw')
    t0 = time.perf_counter()
    if method == 'gnnexplainer':
        explainer = Explainer(model=model, algorithm=GNNExplainer(epochs=args.epochs), explanation_type='model',
                              edge_mask_type='object', model_config=config)
    else:
        explainer = Explainer(model=model, algorithm=PGExplainer(epochs=args.pg_epochs, lr=0.003),
                              explanation_type='phenomenon', edge_mask_type='object', model_config=config)
        with torch.no_grad():
            out = model(data.x, data.edge_index)  # PGExplainer's phenomenon: the model's own output as target
        for epoch in range(args.pg_epochs):
            for v in nodes:
                explainer.algorithm.train(epoch, model, data.x, data.edge_index, target=out, index=int(v))
    target = None
    if method != 'gnnexplainer':
        with torch.no_grad():
            target = model(data.x, data.edge_index)
    masks = [explainer(data.x, data.edge_index, index=int(v), target=target).edge_mask.detach() for v in nodes]
    return torch.stack(masks), time.perf_counter() - t0


def gnnx_run(args, folder, seed, method, epochs):
    out = os.path.join(folder, f'{method}_{seed}.pt')
    cmd = [args.gnnx, 'explain', '--model', os.path.join(folder, 'model.pt'), '--graph',
           os.path.join(folder, 'graph.pt'), '--nodes', os.path.join(folder, 'nodes.txt'), '--method', method,
           '--mode', 'regression', '--out', out, '--option', f'seed={seed}', '--option', f'epochs={epochs}']
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f'gnnx explain failed ({run.returncode}):\n{" ".join(cmd)}\n{run.stdout}\n{run.stderr}')
    return torch.load(out)


def main():
    args = parse_args()
    torch.set_num_threads(1)
    folder = args.out or tempfile.mkdtemp(prefix='gnnx_pyg_regression_')
    os.makedirs(folder, exist_ok=True)
    if args.fixture and os.path.exists(os.path.join(args.fixture, MODEL_FILE)):
        from torch_geometric.data import Data
        data = Data.from_dict(torch.load(os.path.join(args.fixture, 'pyg_ba_shapes_graph.pt')))
        model = make_model()
        model.load_state_dict(torch.load(os.path.join(args.fixture, MODEL_FILE)))
        model.eval()
    else:
        data, model = build_and_train(args)
    if args.write_fixture:
        torch.save(dict(model.state_dict()), os.path.join(args.write_fixture, MODEL_FILE))
    torch.save(data.to_dict(), os.path.join(folder, 'graph.pt'))
    torch.save(dict(model.state_dict()), os.path.join(folder, 'model.pt'))
    motif = data.node_mask.nonzero().view(-1)
    nodes = motif[::max(1, motif.numel() // args.nodes)][:args.nodes]
    with open(os.path.join(folder, 'nodes.txt'), 'w') as f:
        f.write('\n'.join(str(int(v)) for v in nodes) + '\n')
    E = data.edge_index.size(1)
    with torch.no_grad():
        full = model(data.x, data.edge_index)

    rows = {}  # (method, side) -> [(auc, seconds)]
    output_diff = 0.0
    for method in ('gnnexplainer', 'pgexplainer'):
        for r in range(args.runs):
            seed = args.seed + r
            t0 = time.perf_counter()
            ex = gnnx_run(args, folder, seed, method, args.epochs if method == 'gnnexplainer' else args.pg_epochs)
            seconds = time.perf_counter() - t0
            rows.setdefault((method, 'gnnx'), []).append((auc(data, nodes, dense(ex, 'edge_mask', 'edge_ids', E)),
                                                          seconds))
            for e, v in zip(ex['explanations'], nodes):
                output_diff = max(output_diff, float((e['logits'] - full[int(v)]).abs().max()))
            masks, seconds = pyg_run(args, data, model, nodes, seed, method)
            rows.setdefault((method, 'PyG'), []).append((auc(data, nodes, masks), seconds))

    def mean(key, k):
        return statistics.mean(row[k] for row in rows[key])

    print(f'Regression: PyG GCN on PyG BA-Shapes (MSE {mse(data, model):.4f}, target variance '
          f'{float(data.y.float().var()):.4f}); {len(nodes)} motif nodes, {args.runs} seeds')
    print(f'{"explainer":14s} {"side":5s} {"edge AUC":>9s} {"seconds":>9s}')
    for method in ('gnnexplainer', 'pgexplainer'):
        for side in ('PyG', 'gnnx'):
            print(f'{method:14s} {side:5s} {mean((method, side), 0):9.4f} {mean((method, side), 1):9.3f}')
    print(f'gnnx explained outputs vs the full graph {output_diff:.2e} (gnnx seconds include the process start)')
    goals = {f'{m}_auc_reaches_pyg': mean((m, 'gnnx'), 0) >= mean((m, 'PyG'), 0) - args.auc_margin
             for m in ('gnnexplainer', 'pgexplainer')}
    goals['outputs_match'] = output_diff <= 1e-4
    print(json.dumps({'bench': 'pyg_regression', 'nodes': len(nodes), 'runs': args.runs, 'mse': mse(data, model),
                      'auc': {f'{m}_{s}': [row[0] for row in v] for (m, s), v in rows.items()},
                      'seconds': {f'{m}_{s}': mean((m, s), 1) for (m, s) in rows},
                      'auc_margin': args.auc_margin, 'goals': goals}), flush=True)
    return 0 if all(goals.values()) else 1


if __name__ == '__main__':
    sys.exit(main())
