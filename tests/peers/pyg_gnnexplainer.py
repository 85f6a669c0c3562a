#!/usr/bin/env python3
"""gnnx's GNNExplainer against PyG's, on a model PyG trained, through `gnnx explain`.

    build/peers-venv/bin/python tests/peers/pyg_gnnexplainer.py --gnnx build/src/cli/gnnx

PyG builds BA-Shapes (BAGraph(300, 5) + 80 houses, constant features) and trains its own
GCN(1, 20, num_layers=3, out_channels=4, jk='cat') as its example does; the model and the graph
are saved the way a user saves them (dict(model.state_dict()), data.to_dict()). PyG's
GNNExplainer then explains motif nodes one by one, after torch.manual_seed(seed) each, and
`gnnx explain --model --graph` explains the same nodes in one call:

  * with PyG's settings (initial_draw=pyg, mask_placement=message, one logit per directed edge,
    PyG's coefficients): the edge and feature masks must equal PyG's within --tol;
  * with gnnx's defaults: the edge-mask ROC AUC against the planted houses (pooled over each
    node's 3-hop edges, as PyG's example scores it) must reach PyG's own, less --auc-margin
    (0.03: over 16 nodes the AUC of either moves by a few hundredths with the trained model).

Then the same for graph classification: BA-2Motifs built from PyG's generators (a 20-node BA
graph with a house or a 5-cycle attached; the class is the motif), PyG's GIN with a sum pooling
and a linear head (the layout docs/pyg.md describes), `gnnx explain --graph-index J ...` on
test graphs of a file that holds the whole batch.

Prints a table and one JSON line per task; exits 1 when a goal is missed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--gnnx', required=True, help='the gnnx command-line tool')
    p.add_argument('--nodes', type=int, default=16, help='motif nodes explained (every 400/N-th)')
    p.add_argument('--train-epochs', type=int, default=1000)
    p.add_argument('--graphs', type=int, default=16, help='BA-2Motifs test graphs explained (at most 40)')
    p.add_argument('--explain-epochs', type=int, default=100)
    p.add_argument('--auc-margin', type=float, default=0.03,
                   help="gnnx's defaults must reach PyG's AUC less this margin (few items make AUC noisy)")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--tol', type=float, default=1e-5)
    p.add_argument('--out', default='', help='keep the files here (default: a temporary folder)')
    return p.parse_args()


def build_and_train(args):
    import torch_geometric
    import torch_geometric.transforms as T
    from torch_geometric.datasets import ExplainerDataset
    from torch_geometric.datasets.graph_generator import BAGraph
    from torch_geometric.datasets.motif_generator import HouseMotif
    from torch_geometric.nn import GCN

    torch_geometric.seed_everything(args.seed)
    data = ExplainerDataset(graph_generator=BAGraph(num_nodes=300, num_edges=5), motif_generator=HouseMotif(),
                            num_motifs=80, transform=T.Constant())[0]
    model = GCN(1, hidden_channels=20, num_layers=3, out_channels=4, jk='cat')
    opt = torch.optim.Adam(model.parameters(), lr=getattr(args, 'train_lr', 0.001), weight_decay=0.005)
    for _ in range(args.train_epochs):
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(data.x, data.edge_index), data.y)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = float((model(data.x, data.edge_index).argmax(-1) == data.y).float().mean())
    return data, model, acc


def pyg_explain(args, data, model, nodes):
    from torch_geometric.explain import Explainer, GNNExplainer
    explainer = Explainer(model=model, algorithm=GNNExplainer(epochs=args.explain_epochs),
                          explanation_type='model', node_mask_type='attributes', edge_mask_type='object',
                          model_config=dict(mode='multiclass_classification', task_level='node',
                                            return_type='raw'))
    edge, feat = [], []
    t0 = time.perf_counter()
    for v in nodes:
        torch.manual_seed(args.seed)
        e = explainer(data.x, data.edge_index, index=int(v))
        edge.append(e.edge_mask.detach())
        feat.append(e.node_mask.detach())
    return torch.stack(edge), torch.stack(feat), (time.perf_counter() - t0) / len(nodes)


def gnnx_explain(args, folder, nodes, options, tag, graph_indices=None, extra=()):
    out = os.path.join(folder, f'explanations_{tag}.pt')
    cmd = [args.gnnx, 'explain', '--model', os.path.join(folder, 'model.pt'), '--graph',
           os.path.join(folder, 'graph.pt'), '--method', 'gnnexplainer', '--out', out, '--json', *extra]
    if graph_indices is None:
        cmd += ['--nodes', os.path.join(folder, 'nodes.txt')]
    for j in graph_indices or []:
        cmd += ['--graph-index', str(j)]
    for k, v in options.items():
        cmd += ['--option', f'{k}={v}']
    t0 = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if run.returncode != 0:
        sys.exit(f'gnnx explain failed ({run.returncode}):\n{" ".join(cmd)}\n{run.stdout}\n{run.stderr}')
    E = torch.load(out)
    assert E['format'] == 'gnnx.Explanations', E.get('format')
    return E, seconds


def dense(E, key, ids_key, size, row_shape=()):
    rows = []
    for ex in E['explanations']:
        m = torch.zeros((size,) + row_shape)
        if key in ex:
            m[ex[ids_key]] = ex[key]
        rows.append(m)
    return torch.stack(rows)


def auc(data, nodes, edge_masks):
    from sklearn.metrics import roc_auc_score
    from torch_geometric.utils import k_hop_subgraph
    truth, score = [], []
    for v, m in zip(nodes, edge_masks):
        _, _, _, hard = k_hop_subgraph(int(v), num_hops=3, edge_index=data.edge_index)
        truth.append(data.edge_mask[hard])
        score.append(m[hard])
    return float(roc_auc_score(torch.cat(truth).numpy(), torch.cat(score).numpy()))


PYG_SETTINGS = {'initial_draw': 'pyg', 'symmetric_mask': 'false', 'average_directions': 'false',
                'edge_init_means': '0', 'lr': 0.01,
                'edge_size': 0.005, 'edge_ent': 1.0, 'feat_size': 1.0, 'feat_ent': 0.1, 'laplacian': 0,
                'feature_mask': 'node_feature', 'mask_placement': 'message'}


def node_task(args, folder):
    data, model, acc = build_and_train(args)
    torch.save(data.to_dict(), os.path.join(folder, 'graph.pt'))
    torch.save(dict(model.state_dict()), os.path.join(folder, 'model.pt'))
    motif = data.node_mask.nonzero().view(-1)
    nodes = motif[::max(1, motif.numel() // args.nodes)][:args.nodes]
    with open(os.path.join(folder, 'nodes.txt'), 'w') as f:
        f.write('\n'.join(str(int(v)) for v in nodes) + '\n')
    N, E = data.num_nodes, data.edge_index.size(1)

    pyg_edge, pyg_feat, pyg_s = pyg_explain(args, data, model, nodes)
    pyg_like = dict(PYG_SETTINGS, epochs=args.explain_epochs, seed=args.seed)
    same, same_s = gnnx_explain(args, folder, nodes, pyg_like, 'pyg_like')
    ours, ours_s = gnnx_explain(args, folder, nodes, {'seed': args.seed}, 'defaults')

    same_edge = dense(same, 'edge_mask', 'edge_ids', E)
    same_feat = dense(same, 'feature_mask', 'node_ids', N, (1,))
    edge_diff = float((same_edge - pyg_edge).abs().max())
    feat_diff = float((same_feat - pyg_feat).abs().max())
    # The explained prediction: gnnx's logits on the computation subgraph are PyG's on the graph.
    with torch.no_grad():
        full = model(data.x, data.edge_index)[nodes]
    logits_diff = float((torch.stack([ex['logits'] for ex in same['explanations']]) - full).abs().max())
    label_ok = all(int(ex['label']) == int(full[i].argmax()) for i, ex in enumerate(same['explanations']))

    auc_pyg = auc(data, nodes, pyg_edge)
    auc_same = auc(data, nodes, same_edge)
    auc_ours = auc(data, nodes, dense(ours, 'edge_mask', 'edge_ids', E))
    title = (f'node task: PyG GCN on PyG BA-Shapes (train acc {acc:.3f}); {len(nodes)} motif nodes, '
             f'{args.explain_epochs} epochs')
    return report(args, 'pyg_gnnexplainer_node', title, len(nodes), acc, auc_pyg, auc_same, auc_ours, pyg_s,
                  same_s, ours_s, edge_diff, feat_diff, logits_diff, label_ok)


def ba_2motifs(args, num_graphs=200):
    from torch_geometric.data import Batch, Data
    from torch_geometric.utils import barabasi_albert_graph, to_undirected
    import numpy as np
    g = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)  # PyG's barabasi_albert_graph draws from NumPy's global generator
    house = torch.tensor([[0, 1, 2, 3, 4, 4], [1, 2, 3, 0, 0, 1]])
    cycle = torch.tensor([[0, 1, 2, 3, 4], [1, 2, 3, 4, 0]])
    graphs = []
    for i in range(num_graphs):
        label = i % 2
        base = barabasi_albert_graph(20, 1)
        motif = (house if label == 0 else cycle) + 20
        anchor = int(torch.randint(0, 20, (1,), generator=g))
        link = torch.tensor([[anchor], [20]])
        ei = to_undirected(torch.cat([base, motif, link], 1), num_nodes=25)
        truth = ((ei[0] >= 20) & (ei[1] >= 20)).float()
        graphs.append(Data(x=torch.ones(25, 1), edge_index=ei, y=torch.tensor([label]), edge_mask=truth))
    return graphs, Batch.from_data_list(graphs)


class GinGraphNet(torch.nn.Module):
    """PyG's GIN(1, 32, num_layers=3), sum pooling and a linear head: a BA-2Motifs classifier."""

    def __init__(self):
        super().__init__()
        from torch_geometric.nn import GIN
        self.gnn = GIN(1, 32, num_layers=3)
        self.lin = torch.nn.Linear(32, 2)

    def forward(self, x, edge_index, batch):
        from torch_geometric.nn import global_add_pool
        return self.lin(global_add_pool(self.gnn(x, edge_index), batch))


def train_ba_2motifs_gin(args):
    """BA-2Motifs from ba_2motifs() and a GinGraphNet trained by PyG on its first 160 graphs."""
    torch.manual_seed(args.seed)
    graphs, batch = ba_2motifs(args)
    model = GinGraphNet()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    train = list(range(0, 160))
    for _ in range(args.train_epochs // 5):
        model.train()
        opt.zero_grad()
        out = model(batch.x, batch.edge_index, batch.batch)
        F.cross_entropy(out[train], batch.y[train]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        logits = model(batch.x, batch.edge_index, batch.batch)
    acc = float((logits.argmax(-1) == batch.y).float().mean())
    return graphs, batch, model, logits, acc


def graph_task(args, folder):
    from torch_geometric.explain import Explainer, GNNExplainer
    graphs, batch, model, logits, acc = train_ba_2motifs_gin(args)
    gfolder = os.path.join(folder, 'graph_task')
    os.makedirs(gfolder, exist_ok=True)
    torch.save({'x': batch.x, 'edge_index': batch.edge_index, 'batch': batch.batch, 'y': batch.y,
                'edge_mask': batch.edge_mask}, os.path.join(gfolder, 'graph.pt'))
    torch.save(dict(model.state_dict()), os.path.join(gfolder, 'model.pt'))

    test = list(range(160, 160 + min(args.graphs, 40)))
    explainer = Explainer(model=model, algorithm=GNNExplainer(epochs=args.explain_epochs),
                          explanation_type='model', node_mask_type='attributes', edge_mask_type='object',
                          model_config=dict(mode='multiclass_classification', task_level='graph',
                                            return_type='raw'))
    pyg_edge, pyg_feat = [], []
    t0 = time.perf_counter()
    for j in test:
        d = graphs[j]
        torch.manual_seed(args.seed)
        e = explainer(d.x, d.edge_index, batch=torch.zeros(d.num_nodes, dtype=torch.long))
        pyg_edge.append(e.edge_mask.detach())
        pyg_feat.append(e.node_mask.detach())
    pyg_s = (time.perf_counter() - t0) / len(test)
    extra = ('--readout', 'sum')
    same, same_s = gnnx_explain(args, gfolder, None, dict(PYG_SETTINGS, epochs=args.explain_epochs, seed=args.seed),
                                'pyg_like', test, extra)
    ours, ours_s = gnnx_explain(args, gfolder, None, {'seed': args.seed}, 'defaults', test, extra)

    eoff = batch._slice_dict['edge_index']
    noff = batch.ptr
    edge_diff = feat_diff = logits_diff = 0.0
    label_ok = True
    truth, s_pyg, s_same, s_ours = [], [], [], []
    for i, j in enumerate(test):
        a, b = int(eoff[j]), int(eoff[j + 1])
        na, nb = int(noff[j]), int(noff[j + 1])
        dense_same = torch.zeros(batch.edge_index.size(1))
        dense_same[same['explanations'][i]['edge_ids']] = same['explanations'][i]['edge_mask']
        dense_ours = torch.zeros(batch.edge_index.size(1))
        dense_ours[ours['explanations'][i]['edge_ids']] = ours['explanations'][i]['edge_mask']
        feat = torch.zeros(batch.num_nodes, 1)
        feat[same['explanations'][i]['node_ids']] = same['explanations'][i]['feature_mask']
        edge_diff = max(edge_diff, float((dense_same[a:b] - pyg_edge[i]).abs().max()))
        feat_diff = max(feat_diff, float((feat[na:nb] - pyg_feat[i]).abs().max()))
        logits_diff = max(logits_diff, float((same['explanations'][i]['logits'] - logits[j]).abs().max()))
        label_ok &= int(same['explanations'][i]['label']) == int(logits[j].argmax())
        truth.append(graphs[j].edge_mask)
        s_pyg.append(pyg_edge[i])
        s_same.append(dense_same[a:b])
        s_ours.append(dense_ours[a:b])
    from sklearn.metrics import roc_auc_score
    t = torch.cat(truth).numpy()
    auc_pyg, auc_same, auc_ours = (float(roc_auc_score(t, torch.cat(x).numpy())) for x in (s_pyg, s_same, s_ours))
    title = (f'graph task: PyG GIN (sum pooling) on BA-2Motifs (accuracy {acc:.3f}); {len(test)} graphs, '
             f'{args.explain_epochs} epochs')
    return report(args, 'pyg_gnnexplainer_graph', title, len(test), acc, auc_pyg, auc_same, auc_ours, pyg_s,
                  same_s, ours_s, edge_diff, feat_diff, logits_diff, label_ok)


def report(args, bench, title, n, acc, auc_pyg, auc_same, auc_ours, pyg_s, same_s, ours_s, edge_diff, feat_diff,
           logits_diff, label_ok):
    rows = [('PyG GNNExplainer (one by one)', auc_pyg, pyg_s),
            ('gnnx, PyG settings (one call)', auc_same, same_s / n),
            ('gnnx, defaults (one call)', auc_ours, ours_s / n)]
    print(title)
    print(f'{"explainer":34s} {"edge AUC":>9s} {"s/item":>9s}')
    for name, a, s in rows:
        print(f'{name:34s} {a:9.4f} {s:9.4f}')
    print(f'gnnx (PyG settings) vs PyG: max |edge mask diff| {edge_diff:.2e}, '
          f'max |feature mask diff| {feat_diff:.2e}; explained logits vs full graph {logits_diff:.2e}')
    goals = {'masks_match': edge_diff <= args.tol and feat_diff <= args.tol,
             'logits_match': logits_diff <= 1e-4 and label_ok,
             'defaults_reach_pyg_auc': auc_ours >= auc_pyg - args.auc_margin}
    print(json.dumps({'bench': bench, 'items': n, 'accuracy': acc, 'auc_pyg': auc_pyg,
                      'auc_gnnx_pyg_settings': auc_same, 'auc_gnnx_defaults': auc_ours,
                      'edge_mask_max_diff': edge_diff, 'feature_mask_max_diff': feat_diff,
                      'logits_max_diff': logits_diff, 'pyg_s_per_item': pyg_s,
                      'gnnx_pyg_settings_s_per_item': same_s / n, 'gnnx_defaults_s_per_item': ours_s / n,
                      'goals': goals}), flush=True)
    return all(goals.values())


def main():
    args = parse_args()
    torch.set_num_threads(1)
    folder = args.out or tempfile.mkdtemp(prefix='gnnx_pyg_gnnexplainer_')
    os.makedirs(folder, exist_ok=True)
    ok = node_task(args, folder)
    ok = graph_task(args, folder) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
