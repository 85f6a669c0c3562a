#!/usr/bin/env python3
"""gnnx's GraphMask beside PyG's GraphMaskExplainer, on a model PyG trained, through `gnnx explain`.

    build/peers-venv/bin/python tests/peers/pyg_graphmask.py --gnnx build/src/cli/gnnx [--nodes 40 --runs 2]

PyG builds BA-Shapes and trains its GCN(1, 20, num_layers=3, out_channels=4, jk='cat') as
tests/peers/pyg_gnnexplainer.py does (or --fixture reads such a pair PyG made earlier, as the
test does with tests/data); model and graph are saved as a user saves them. Every k-th
motif node is explained (--nodes of them). PyG's GraphMaskExplainer (its defaults: 100 epochs per
layer, lr 0.01, allowance 0.03) trains anew for each node, as its documentation shows;
`gnnx explain --method graphmask` trains its gate networks once on all the nodes and explains
them in one call (gnnx's defaults). Both run --runs seeds.

Measured side by side: the mean edge ROC AUC (pooled over each node's 3-hop edges against the
planted houses, as PyG's examples score it) and the times. Also measured: whether the model
still computes what it computed before the explainer ran (PyG's explainer replaces the messages
of every MessagePassing layer by ReLU(LayerNorm(m)) and leaves that in place), and whether gnnx
explains the model's whole-graph prediction. Prints a table and one JSON line; exits 1 when gnnx
changes the model's prediction or its mean AUC falls below PyG's less --auc-margin.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyg_gnnexplainer import auc, build_and_train, dense  # noqa: E402
from pyg_pgexplainer import gnnx_run  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--gnnx', required=True, help='the gnnx command-line tool')
    p.add_argument('--nodes', type=int, default=40, help='motif nodes explained (every 400/N-th)')
    p.add_argument('--train-epochs', type=int, default=1000, help="epochs of the GCN's training")
    p.add_argument('--epochs', type=int, default=100, help="PyG's GraphMaskExplainer epochs per layer")
    p.add_argument('--runs', type=int, default=2, help='explainer seeds per side')
    p.add_argument('--auc-margin', type=float, default=0.05, help="gnnx's mean AUC must reach PyG's less this")
    p.add_argument('--option', action='append', default=[], help='extra gnnx option key=value (repeatable)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='', help='keep the files here (default: a temporary folder)')
    p.add_argument('--fixture', default='',
                   help='read the PyG GCN and graph PyG made earlier from this folder (pyg_ba_shapes_gcn.pt, '
                        'pyg_ba_shapes_graph.pt, as in tests/data) instead of training one')
    return p.parse_args()


def load_fixture(folder):
    from torch_geometric.data import Data
    from torch_geometric.nn import GCN
    data = Data.from_dict(torch.load(os.path.join(folder, 'pyg_ba_shapes_graph.pt')))
    model = GCN(1, hidden_channels=20, num_layers=3, out_channels=4, jk='cat')
    model.load_state_dict(torch.load(os.path.join(folder, 'pyg_ba_shapes_gcn.pt')))
    model.eval()
    with torch.no_grad():
        acc = float((model(data.x, data.edge_index).argmax(-1) == data.y).float().mean())
    return data, model, acc


def pyg_run(args, data, model, nodes, seed):
    from torch_geometric.explain import Explainer, GraphMaskExplainer
    torch.manual_seed(seed)
    explainer = Explainer(model=model, algorithm=GraphMaskExplainer(3, epochs=args.epochs, log=False),
                          explanation_type='model', edge_mask_type='object',
                          model_config=dict(mode='multiclass_classification', task_level='node', return_type='raw'))
    t0 = time.perf_counter()
    masks = [explainer(data.x, data.edge_index, index=int(v)).edge_mask.detach() for v in nodes]
    return torch.stack(masks), time.perf_counter() - t0


def main():
    args = parse_args()
    torch.set_num_threads(1)
    folder = args.out or tempfile.mkdtemp(prefix='gnnx_pyg_graphmask_')
    os.makedirs(folder, exist_ok=True)
    data, model, acc = load_fixture(args.fixture) if args.fixture else build_and_train(args)
    torch.save(data.to_dict(), os.path.join(folder, 'graph.pt'))
    torch.save(dict(model.state_dict()), os.path.join(folder, 'model.pt'))
    motif = data.node_mask.nonzero().view(-1)
    nodes = motif[::max(1, motif.numel() // args.nodes)][:args.nodes]
    with open(os.path.join(folder, 'nodes.txt'), 'w') as f:
        f.write('\n'.join(str(int(v)) for v in nodes) + '\n')
    E = data.edge_index.size(1)
    with torch.no_grad():
        before = model(data.x, data.edge_index)

    pyg, ours = [], []
    logits_diff = 0.0
    for r in range(args.runs):
        seed = args.seed + r
        ex, train_s, explain_s, wall = gnnx_run(args, folder, seed, args.option, method='graphmask')
        ours.append((auc(data, nodes, dense(ex, 'edge_mask', 'edge_ids', E)), train_s + explain_s, wall))
        logits_diff = max(logits_diff, float((torch.stack([e['logits'] for e in ex['explanations']])
                                              - before[nodes]).abs().max()))
        masks, seconds = pyg_run(args, data, model, nodes, seed)
        pyg.append((auc(data, nodes, masks), seconds))
    with torch.no_grad():
        after = model(data.x, data.edge_index)
    model_changed = float((after - before).abs().max())
    pred_changed = int((after.argmax(-1) != before.argmax(-1)).sum())

    def mean(rows, k):
        return statistics.mean(row[k] for row in rows)

    print(f'GraphMask: PyG GCN on PyG BA-Shapes (train acc {acc:.3f}); {len(nodes)} motif nodes, {args.runs} seeds; '
          f'PyG {args.epochs} epochs per layer and node; gnnx options {args.option or "defaults"}')
    print(f'{"explainer":12s} {"seed":>5s} {"edge AUC":>9s} {"seconds":>9s}')
    for r in range(args.runs):
        print(f'{"PyG":12s} {args.seed + r:5d} {pyg[r][0]:9.4f} {pyg[r][1]:9.3f}')
        print(f'{"gnnx":12s} {args.seed + r:5d} {ours[r][0]:9.4f} {ours[r][1]:9.3f}')
    print(f'{"PyG mean":12s} {"":5s} {mean(pyg, 0):9.4f} {mean(pyg, 1):9.3f}')
    print(f'{"gnnx mean":12s} {"":5s} {mean(ours, 0):9.4f} {mean(ours, 1):9.3f}')
    print(f'speed-up {mean(pyg, 1) / mean(ours, 1):.1f}x; gnnx explained logits vs the full graph {logits_diff:.2e}; '
          f'after PyG explained, the model\'s logits moved by {model_changed:.3g} and {pred_changed} of '
          f'{data.num_nodes} predictions changed')
    goals = {'auc_reaches_pyg': mean(ours, 0) >= mean(pyg, 0) - args.auc_margin, 'logits_match': logits_diff <= 1e-4}
    print(json.dumps({'bench': 'pyg_graphmask', 'nodes': len(nodes), 'epochs_pyg': args.epochs, 'runs': args.runs,
                      'accuracy': acc, 'gnnx_options': args.option,
                      'auc_pyg': [row[0] for row in pyg], 'auc_gnnx': [row[0] for row in ours],
                      'auc_pyg_mean': mean(pyg, 0), 'auc_gnnx_mean': mean(ours, 0),
                      'seconds_pyg': mean(pyg, 1), 'seconds_gnnx': mean(ours, 1), 'gnnx_process_s': mean(ours, 2),
                      'pyg_model_logits_moved': model_changed,
                      'pyg_predictions_changed': pred_changed, 'auc_margin': args.auc_margin, 'goals': goals}),
          flush=True)
    return 0 if all(goals.values()) else 1


if __name__ == '__main__':
    sys.exit(main())
