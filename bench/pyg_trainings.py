#!/usr/bin/env python3
"""GNNExplainer's edge AUC on many GCNs that PyG trained, gnnx's option sets beside PyG's.

    OMP_NUM_THREADS=1 build/peers-venv/bin/python bench/pyg_trainings.py --gnnx build/src/cli/gnnx \
        --seeds 1 2 3 4 5 6 7 8 9 10 --nodes 80

For each seed s, PyG builds its BA-Shapes and trains its GCN exactly as
tests/peers/pyg_gnnexplainer.py does (torch_geometric.seed_everything(s): another graph and
another model per seed). `gnnx explain` then explains the same motif nodes with

  * PyG's settings, whose masks equal PyG's GNNExplainer to 1e-6 (the test peers.pyg_gnnexplainer
    checks this on every run); with --pyg itself, PyG's GNNExplainer runs here too, node by node;
  * gnnx's defaults (one logit per direction, each edge reported as the mean of its directions);
  * a logit shared by both directions (symmetric_mask=true);
  * the directed mask reported as optimised (average_directions=false).

Edge ROC AUC against the planted houses, pooled over each node's 3-hop edges as PyG's example
scores it. Prints a table and one JSON line.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
VARIANTS = {
    'defaults': {},
    'shared logit': {'symmetric_mask': 'true'},
    'directed': {'average_directions': 'false'},
}


def load_peer_script():
    path = os.path.join(HERE, '..', 'tests', 'peers', 'pyg_gnnexplainer.py')
    spec = importlib.util.spec_from_file_location('pyg_gnnexplainer', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_and_save(pg, seed, train_epochs, folder):
    """PyG's BA-Shapes and GCN for `seed` (pg: tests/peers/pyg_gnnexplainer.py), saved as
    folder/graph.pt and folder/model.pt. Returns (data, model, training accuracy)."""
    os.makedirs(folder, exist_ok=True)
    data, model, acc = pg.build_and_train(argparse.Namespace(seed=seed, train_epochs=train_epochs))
    torch.save(data.to_dict(), os.path.join(folder, 'graph.pt'))
    torch.save(dict(model.state_dict()), os.path.join(folder, 'model.pt'))
    return data, model, acc


def gnnx_auc(pg, args, folder, data, nodes, options, tag):
    out = os.path.join(folder, f'{tag}.pt')
    cmd = [args.gnnx, 'explain', '--model', os.path.join(folder, 'model.pt'), '--graph',
           os.path.join(folder, 'graph.pt'), '--method', 'gnnexplainer', '--nodes',
           os.path.join(folder, 'nodes.txt'), '--out', out]
    for k, v in options.items():
        cmd += ['--option', f'{k}={v}']
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f'gnnx explain failed ({run.returncode}):\n{" ".join(cmd)}\n{run.stderr}')
    E = data.edge_index.size(1)
    return pg.auc(data, nodes, pg.dense(torch.load(out), 'edge_mask', 'edge_ids', E))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--gnnx', required=True, help='the gnnx command-line tool')
    p.add_argument('--seeds', type=int, nargs='+', default=list(range(1, 11)))
    p.add_argument('--nodes', type=int, default=80, help='motif nodes explained per model (every 400/N-th)')
    p.add_argument('--train-epochs', type=int, default=1000)
    p.add_argument('--pyg', choices=['settings', 'itself'], default='settings',
                   help="the PyG column: gnnx with PyG's settings, or PyG's GNNExplainer run here")
    p.add_argument('--out', default='', help='keep models, graphs and explanations here')
    args = p.parse_args()
    argv, sys.argv = sys.argv, [sys.argv[0]]
    pg = load_peer_script()
    sys.argv = argv
    from torch_geometric.data import Data

    root = args.out or tempfile.mkdtemp(prefix='gnnx_pyg_trainings_')
    rows = []
    for s in args.seeds:
        folder = os.path.join(root, f'seed{s}')
        data, model, acc = train_and_save(pg, s, args.train_epochs, folder)
        motif = data.node_mask.nonzero().view(-1)
        nodes = motif[::max(1, motif.numel() // args.nodes)][:args.nodes]
        with open(os.path.join(folder, 'nodes.txt'), 'w') as f:
            f.write('\n'.join(str(int(v)) for v in nodes) + '\n')
        data = Data.from_dict(torch.load(os.path.join(folder, 'graph.pt')))
        row = {'seed': s, 'train_acc': round(acc, 3)}
        if args.pyg == 'itself':
            pyg_edge, _, _ = pg.pyg_explain(argparse.Namespace(explain_epochs=100, seed=0), data, model, nodes)
            row['pyg'] = pg.auc(data, nodes, pyg_edge)
        else:
            row['pyg'] = gnnx_auc(pg, args, folder, data, nodes, dict(pg.PYG_SETTINGS, seed=0), 'pyg_settings')
        for name, options in VARIANTS.items():
            row[name] = gnnx_auc(pg, args, folder, data, nodes, options, name.replace(' ', '_'))
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    names = ['pyg'] + list(VARIANTS)
    print(f'PyG GCN on PyG BA-Shapes, {args.nodes} motif nodes per model, 100 epochs; edge AUC')
    print(f'{"seed":>5} {"train acc":>9} ' + ' '.join(f'{n:>13}' for n in names))
    for r in rows:
        print(f'{r["seed"]:>5} {r["train_acc"]:>9.3f} ' + ' '.join(f'{r[n]:>13.4f}' for n in names))
    wins = sum(r['defaults'] >= r['pyg'] for r in rows)
    print(f'gnnx defaults >= PyG on {wins} of {len(rows)} models')
    print(json.dumps({'bench': 'pyg_trainings', 'pyg_column': args.pyg, 'nodes': args.nodes, 'rows': rows,
                      'defaults_at_least_pyg': wins, 'models': len(rows)}))


if __name__ == '__main__':
    main()
