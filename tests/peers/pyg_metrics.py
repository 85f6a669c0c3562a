#!/usr/bin/env python3
"""gnnx's graph explanation metrics against PyG's, on the same model and the same masks.

    build/peers-venv/bin/python tests/peers/pyg_metrics.py --check build/tests/peers/gnnx_pyg_metrics_check

PyG builds BA-Shapes (BAGraph(300, 5) + 80 houses, constant features) and trains its
GCN(1, 20, num_layers=3, out_channels=4, jk='cat'); its GNNExplainer explains nodes (motif nodes
and two that the model misclassifies), once as "model" explanations and once as "phenomenon"
ones (the true label). On those raw edge masks, each thresholded as PyG's ThresholdConfig does
(none, hard 0.5, topk 12, topk_hard 12), PyG's
`fidelity` and `unfaithfulness` score every node alone (index=tensor([v])); over a sweep of
topk_hard k, the node means give `characterization_score` and `fidelity_curve_auc`; and
`groundtruth_metrics` compares each raw mask with the planted house edges. gnnx_pyg_metrics_check
computes the same with gnnx (the model imported from PyG's state dict, the masks read from files)
and the two must agree to --tol (1e-6).

groundtruth_metrics needs torchmetrics, which the pinned environment does not hold: without it
the script compares with scikit-learn's metrics under torchmetrics' binary rules (target >= 0.5,
a positive is pred > 0.5, 0 for an empty denominator) and says so.

Prints a table and one JSON line; exits 1 when a value differs.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyg_gnnexplainer import build_and_train  # noqa: E402

THRESHOLDS = ['none', 'hard:0.5', 'topk:12', 'topk_hard:12']
CURVE_K = [10, 12, 16, 20, 24, 32]  # from where fid- < 1 on this model, so that the curve AUC exists


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--check', required=True, help='the gnnx_pyg_metrics_check program')
    p.add_argument('--nodes', type=int, default=8, help='motif nodes explained')
    p.add_argument('--train-epochs', type=int, default=300)
    p.add_argument('--train-lr', type=float, default=0.01)
    p.add_argument('--explain-epochs', type=int, default=50)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--tol', type=float, default=1e-6)
    p.add_argument('--out', default='', help='keep the files here (default: a temporary folder)')
    return p.parse_args()


def threshold_config(name):
    from torch_geometric.explain.config import ThresholdConfig
    if name == 'none':
        return None
    kind, value = name.split(':')
    return ThresholdConfig(kind, int(value) if kind.startswith('topk') else float(value))


def groundtruth_reference(pred, target):
    """PyG's groundtruth_metrics when torchmetrics imports; else its binary rules through sklearn."""
    try:
        from torch_geometric.explain.metric import groundtruth_metrics
        return list(groundtruth_metrics(pred, target)), 'torchmetrics'
    except ImportError:
        from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
        p = pred.view(-1)
        if bool(((p < 0) | (p > 1)).any()):
            p = p.sigmoid()
        t = (target.view(-1) >= 0.5).numpy()
        b = (p > 0.5).numpy()
        return [accuracy_score(t, b), recall_score(t, b, zero_division=0), precision_score(t, b, zero_division=0),
                f1_score(t, b, zero_division=0), roc_auc_score(t, p.numpy())], 'sklearn (no torchmetrics)'


def pyg_side(args, data, model, nodes, form):
    from torch_geometric.explain import Explainer, GNNExplainer
    from torch_geometric.explain.metric import characterization_score, fidelity, fidelity_curve_auc, unfaithfulness
    explainer = Explainer(model=model, algorithm=GNNExplainer(epochs=args.explain_epochs), explanation_type=form,
                          edge_mask_type='object',
                          model_config=dict(mode='multiclass_classification', task_level='node', return_type='raw'))
    raw, out = [], {}
    for v in nodes:
        torch.manual_seed(args.seed)
        kwargs = {'target': data.y} if form == 'phenomenon' else {}
        raw.append(explainer(data.x, data.edge_index, index=torch.tensor([int(v)]), **kwargs))
    for name in THRESHOLDS:
        rows = {'fid_plus': [], 'fid_minus': [], 'gef': []}
        for e in raw:
            t = e.threshold(threshold_config(name)) if name != 'none' else e
            fp, fm = fidelity(explainer, t)
            rows['fid_plus'].append(fp)
            rows['fid_minus'].append(fm)
            rows['gef'].append(unfaithfulness(explainer, t))
        out[name] = rows
    plus, minus = [], []
    for k in CURVE_K:
        fs = [fidelity(explainer, e.threshold(threshold_config(f'topk_hard:{k}'))) for e in raw]
        plus.append(sum(f[0] for f in fs) / len(fs))
        minus.append(sum(f[1] for f in fs) / len(fs))
    p, m = torch.tensor(plus, dtype=torch.float64), torch.tensor(minus, dtype=torch.float64)
    curve = {'x': CURVE_K, 'fid_plus': plus, 'fid_minus': minus,
             'characterization': characterization_score(p, m).tolist()}
    if bool((m < 1).all()):
        curve['auc'] = float(fidelity_curve_auc(p, m, torch.tensor(CURVE_K, dtype=torch.float64)))
    out['curve'] = curve
    gts = [groundtruth_reference(e.edge_mask.detach(), data.edge_mask) for e in raw]
    out['groundtruth'] = [g[0] for g in gts]
    out['groundtruth_source'] = gts[0][1]
    return out, torch.stack([e.edge_mask.detach() for e in raw])


def differences(ours, theirs, path=''):
    """(largest |difference|, where) over the numbers of two nested structures of the same shape."""
    if isinstance(theirs, dict):
        worst = (0.0, '')
        for k, v in theirs.items():
            if k == 'groundtruth_source':
                continue
            if k not in ours:
                return float('inf'), f'{path}/{k} missing in gnnx'
            worst = max(worst, differences(ours[k], v, f'{path}/{k}'))
        return worst
    if isinstance(theirs, list):
        if not isinstance(ours, list) or len(ours) != len(theirs):
            return float('inf'), f'{path}: lengths differ'
        worst = (0.0, '')
        for i, (a, b) in enumerate(zip(ours, theirs)):
            worst = max(worst, differences(a, b, f'{path}[{i}]'))
        return worst
    a, b = float(ours), float(theirs)
    if a != a or b != b:  # NaN (an AUROC of one class): both or neither
        return (0.0, path) if (a != a) == (b != b) else (float('inf'), path)
    return abs(a - b), path


def main():
    args = parse_args()
    torch.set_num_threads(1)
    folder = args.out or tempfile.mkdtemp(prefix='gnnx_pyg_metrics_')
    os.makedirs(folder, exist_ok=True)
    data, model, acc = build_and_train(args)
    torch.save(data.to_dict(), os.path.join(folder, 'graph.pt'))
    torch.save(dict(model.state_dict()), os.path.join(folder, 'model.pt'))
    torch.save(data.edge_mask.float(), os.path.join(folder, 'truth.pt'))
    # Motif nodes, and two nodes the model gets wrong, on which the model and phenomenon forms differ.
    with torch.no_grad():
        wrong = (model(data.x, data.edge_index).argmax(-1) != data.y).nonzero().view(-1)[:2]
    motif = data.node_mask.nonzero().view(-1)
    count = args.nodes - wrong.numel()
    nodes = torch.cat([motif[::max(1, motif.numel() // count)][:count], wrong])
    pyg = {}
    for form in ('model', 'phenomenon'):
        pyg[form], masks = pyg_side(args, data, model, nodes, form)
        torch.save(nodes.clone(), os.path.join(folder, f'nodes_{form}.pt'))
        torch.save(masks, os.path.join(folder, f'masks_{form}.pt'))
    with open(os.path.join(folder, 'setup.json'), 'w') as f:
        json.dump({'in_channels': 1, 'num_classes': 4, 'thresholds': THRESHOLDS, 'curve_k': CURVE_K}, f)
    run = subprocess.run([args.check, folder], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f'{args.check} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}')
    ours = json.loads(run.stdout)

    print(f'PyG GCN on PyG BA-Shapes (train acc {acc:.3f}), {len(nodes)} nodes ({wrong.numel()} misclassified), GNNExplainer '
          f'{args.explain_epochs} epochs; groundtruth_metrics reference: {pyg["model"]["groundtruth_source"]}')
    print(f'{"form":11s} {"threshold":13s} {"fid+ PyG":>9s} {"fid+ gnnx":>9s} {"fid- PyG":>9s} {"fid- gnnx":>9s} '
          f'{"GEF PyG":>9s} {"GEF gnnx":>9s}')
    mean = lambda v: sum(v) / len(v)
    for form in ('model', 'phenomenon'):
        for name in THRESHOLDS:
            a, b = pyg[form][name], ours[form][name]
            print(f'{form:11s} {name:13s} {mean(a["fid_plus"]):9.4f} {mean(b["fid_plus"]):9.4f} '
                  f'{mean(a["fid_minus"]):9.4f} {mean(b["fid_minus"]):9.4f} {mean(a["gef"]):9.6f} '
                  f'{mean(b["gef"]):9.6f}')
        c, d = pyg[form]['curve'], ours[form]['curve']
        print(f'{form:11s} fidelity curve AUC over k={CURVE_K}: PyG {c.get("auc", float("nan")):.6f}, '
              f'gnnx {d.get("auc", float("nan")):.6f}; characterization at k=12: PyG '
              f'{c["characterization"][CURVE_K.index(12)]:.6f}, gnnx {d["characterization"][CURVE_K.index(12)]:.6f}')
    worst, where = differences(ours, pyg)
    ok = worst <= args.tol
    print(f'largest |gnnx - PyG| over every value: {worst:.2e} at {where or "-"}')
    print(json.dumps({'bench': 'pyg_metrics', 'items': len(nodes), 'accuracy': acc, 'max_abs_diff': worst,
                      'where': where, 'groundtruth_reference': pyg['model']['groundtruth_source'],
                      'goals': {'agree': ok}}), flush=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
