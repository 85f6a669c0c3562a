#!/usr/bin/env python3
"""gnnx's saliency and gradient x input on a GCN PyG trained, beside PyG's CaptumExplainer.

    build/peers-venv/bin/python tests/peers/pyg_saliency.py --gnnx build/src/cli/gnnx --fixture tests/data

The graph and the model are tests/data/pyg_ba_shapes_graph.pt and pyg_ba_shapes_gcn.pt (PyG's
BA-Shapes and its GCN(1, 20, num_layers=3, out_channels=4, jk='cat'), trained by PyG). Every k-th
node is explained by `gnnx explain --method saliency|gradxinput --nodes FILE --out F` (one call)
and by PyG's Explainer with CaptumExplainer('Saliency' | 'InputXGradient'), node_mask_type
'attributes', for the model's own prediction. gnnx runs each node's gradient pass trimmed to the
edges that can reach it; the feature masks must equal PyG's within --tol of the largest value,
and the explained class must be PyG's model's prediction. (Edge masks are not compared: gnnx's
edge mask deletes an edge where it enters a layer, degrees included, PyG's multiplies the
normalised message.) Prints a table and one JSON line; exits 1 when a check fails.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--gnnx', required=True, help='the gnnx command-line tool')
    p.add_argument('--fixture', required=True, help='the folder of pyg_ba_shapes_graph.pt and pyg_ba_shapes_gcn.pt')
    p.add_argument('--nodes', type=int, default=20, help='nodes explained, evenly spaced over the 700')
    p.add_argument('--tol', type=float, default=1e-5, help='largest feature-mask difference / largest value')
    args = p.parse_args()
    import warnings
    warnings.filterwarnings('ignore')
    from torch_geometric.data import Data
    from torch_geometric.explain import CaptumExplainer, Explainer
    from torch_geometric.nn import GCN
    graph_file = os.path.join(args.fixture, 'pyg_ba_shapes_graph.pt')
    model_file = os.path.join(args.fixture, 'pyg_ba_shapes_gcn.pt')
    data = Data.from_dict(torch.load(graph_file))
    model = GCN(1, hidden_channels=20, num_layers=3, out_channels=4, jk='cat')
    model.load_state_dict(torch.load(model_file))
    model.eval()
    with torch.no_grad():
        pred = model(data.x, data.edge_index).argmax(-1)
    nodes = list(range(0, data.num_nodes, max(1, data.num_nodes // args.nodes)))[:args.nodes]
    rows, ok = [], True
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, 'nodes.txt'), 'w') as f:
            f.write('\n'.join(map(str, nodes)))
        for method, captum in [('saliency', 'Saliency'), ('gradxinput', 'InputXGradient')]:
            out = os.path.join(tmp, method + '.pt')
            run = subprocess.run([args.gnnx, 'explain', '--model', model_file, '--graph', graph_file, '--method', method,
                                  '--nodes', os.path.join(tmp, 'nodes.txt'), '--out', out, '--json'],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(f'gnnx explain failed ({run.returncode}):\n{run.stdout}\n{run.stderr}')
            ours = torch.load(out)['explanations']
            explainer = Explainer(model=model, algorithm=CaptumExplainer(captum), explanation_type='model',
                                  node_mask_type='attributes', edge_mask_type='object',
                                  model_config=dict(mode='multiclass_classification', task_level='node',
                                                    return_type='raw'))
            worst, labels = 0.0, 0
            for v, e in zip(nodes, ours):
                theirs = explainer(data.x, data.edge_index, index=v).node_mask.detach()
                mine = torch.zeros_like(theirs)
                mine[e['node_ids']] = e['feature_mask'].to(mine.dtype)
                if method == 'saliency':
                    theirs = theirs.abs()
                worst = max(worst, float((mine - theirs).abs().max() / theirs.abs().max().clamp_min(1e-12)))
                labels += int(e['label'] == int(pred[v]))
            passed = worst <= args.tol and labels == len(nodes)
            ok = ok and passed
            rows.append({'method': method, 'nodes': len(nodes), 'feature_max_rel_diff': worst,
                         'labels_equal': labels, 'passed': passed})
    print(f"{'method':<12}{'nodes':>6}{'feature diff':>14}{'labels':>8}")
    for r in rows:
        print(f"{r['method']:<12}{r['nodes']:>6}{r['feature_max_rel_diff']:>14.2e}{r['labels_equal']:>8}")
    print(json.dumps({'bench': 'pyg_saliency', 'tol': args.tol, 'rows': rows}))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
