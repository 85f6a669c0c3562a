#!/usr/bin/env python3
"""Class prototypes of GCNs that PyG trained: is each the house?

    OMP_NUM_THREADS=1 build/peers-venv/bin/python bench/pyg_prototypes.py --gnnx build/src/cli/gnnx \
        --seeds 1 2 3 4 5

For each seed s, PyG builds its BA-Shapes and trains its GCN exactly as
tests/peers/pyg_gnnexplainer.py does (torch_geometric.seed_everything(s): another graph and
another model per seed). `gnnx prototype --model model.pt --graph graph.pt --class C --json` then
builds the prototype of each house class C (1, 2, 3) with each explainer, with the prototype's
defaults (20 instances the model gets right, sinkhorn alignment, threshold 0.5). The prototype
graph (its edges, isolated nodes left out) is compared with the house: isomorphic or not, and the
graph edit distance (unit-cost node and edge insertions and deletions, networkx). Prints a table
and one JSON line.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import networkx as nx

from pyg_trainings import load_peer_script, train_and_save

HOUSE = nx.Graph([(0, 1), (1, 2), (2, 3), (3, 0), (0, 4), (1, 4)])


def prototype(args, folder, cls, explainer):
    cmd = [args.gnnx, 'prototype', '--model', os.path.join(folder, 'model.pt'), '--graph',
           os.path.join(folder, 'graph.pt'), '--class', str(cls), '--explainer', explainer, '--json']
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f'gnnx prototype failed ({run.returncode}):\n{" ".join(cmd)}\n{run.stderr}')
    result = json.loads(run.stdout.strip().splitlines()[-1])
    g = nx.Graph([(e['source'], e['target']) for e in result['edges']])
    ged = nx.graph_edit_distance(g, HOUSE, timeout=60)
    return {'isomorphic': nx.is_isomorphic(g, HOUSE), 'ged': ged, 'nodes': g.number_of_nodes(),
            'edges': g.number_of_edges(), 'seconds': result['seconds']}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--gnnx', required=True, help='the gnnx command-line tool')
    p.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3, 4, 5])
    p.add_argument('--explainers', nargs='+', default=['gnnexplainer', 'pgexplainer', 'graphmask'])
    p.add_argument('--train-epochs', type=int, default=1000)
    p.add_argument('--out', default='', help='keep models and graphs here')
    args = p.parse_args()
    argv, sys.argv = sys.argv, [sys.argv[0]]
    pg = load_peer_script()
    sys.argv = argv

    root = args.out or tempfile.mkdtemp(prefix='gnnx_pyg_prototypes_')
    rows = []
    for s in args.seeds:
        folder = os.path.join(root, f'seed{s}')
        _, _, acc = train_and_save(pg, s, args.train_epochs, folder)
        for explainer in args.explainers:
            for cls in (1, 2, 3):
                row = {'seed': s, 'train_acc': round(acc, 3), 'explainer': explainer, 'class': cls}
                row.update(prototype(args, folder, cls, explainer))
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)

    print(f'PyG GCN on PyG BA-Shapes, seeds {args.seeds}; prototype of each house class against the house')
    print(f'{"explainer":>13} {"class":>5} {"isomorphic":>10} {"mean GED":>9}  GED per seed')
    summary = []
    for explainer in args.explainers:
        for cls in (1, 2, 3):
            rs = [r for r in rows if r['explainer'] == explainer and r['class'] == cls]
            iso = sum(r['isomorphic'] for r in rs)
            ged = sum(r['ged'] for r in rs) / len(rs)
            print(f'{explainer:>13} {cls:>5} {iso:>6} / {len(rs):<2} {ged:>9.1f}  '
                  + ' '.join(f'{r["ged"]:g}' for r in rs))
            summary.append({'explainer': explainer, 'class': cls, 'isomorphic': iso, 'seeds': len(rs),
                            'mean_ged': ged})
    print(json.dumps({'bench': 'pyg_prototypes', 'summary': summary, 'rows': rows}))


if __name__ == '__main__':
    main()
