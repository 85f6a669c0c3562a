#!/usr/bin/env python3
"""BA-Shapes with PyG itself: the peer run that gnnx's own BA-Shapes numbers are compared with.

    build/peers-venv/bin/python scripts/peers/pyg_ba_shapes.py --out build/peers-out

Builds PyG's BA-Shapes (ExplainerDataset: BAGraph(num_nodes=300, num_edges=5) + HouseMotif,
num_motifs=80, constant node features, seeded), trains PyG's GCN(1, 20, num_layers=3,
out_channels=4, jk='cat') the way PyG's examples/explain/gnn_explainer_ba_shapes.py does
(Adam lr=0.001, weight_decay=0.005, 2000 full-batch epochs, 80/20 stratified split), then runs
PyG's GNNExplainer (Explainer, node_mask_type='attributes', edge_mask_type='object',
multiclass node classification, raw logits) on motif nodes and scores each edge mask against
the planted motif edges (data.edge_mask) by ROC AUC over the node's 3-hop edges, as PyG's
example does.

Writes to --out:
  graph.pt          torch.save(data.to_dict()): x [700,1] float (ones), edge_index [2,E] int64,
                    y [700] int64, edge_mask [E] and node_mask [700] float 0/1 (motif edges and
                    nodes, as PyG makes them), train_mask / test_mask [700] bool
  model_state.pt    torch.save(model.state_dict()): an OrderedDict carrying _metadata, which
                    LibTorch 1.13's torch::pickle_load rejects ("Expected GenericDict but got None")
  model_params.pt   torch.save(dict(model.state_dict())): the same tensors in a plain dict, which
                    torch::pickle_load reads; keys convs.{0,1,2}.lin.weight [out,in] (no bias in
                    lin), convs.{0,1,2}.bias, lin.weight [4,60], lin.bias [4]
  model_script.pt   TorchScript, called as model(x, edge_index) -> logits [N, 4]. torch.jit.script
                    of PyG 2.8's GCNConv saves code that does not compile again on load
                    (Tensor/SparseTensor branches), so this is torch.jit.trace; the trace keeps
                    no graph size fixed (checked on other graphs)
  logits.pt         the trained model's logits on the graph, for checking a reimplementation
  gnnexplainer.pt   {'index': [k] explained nodes, 'edge_mask': [k, E], 'node_mask': [k, 700, 1]}
  summary.json      versions, accuracies, AUCs and timings

Everything is local: BA-Shapes is generated, nothing is downloaded. Explaining all 400 motif
nodes takes about 1.5-2.5 s a node on 2 cores; the default explains every 10th (40 nodes).
"""
import argparse
import json
import os
import time

import torch
import torch.nn.functional as F


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default='build/peers-out', help='output folder')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--epochs', type=int, default=2000, help='training epochs (PyG example: 2000)')
    p.add_argument('--explain-epochs', type=int, default=200, help='GNNExplainer epochs')
    p.add_argument('--explain-stride', type=int, default=10,
                   help='explain every N-th motif node (1 = all 400 motif nodes)')
    p.add_argument('--explanation-type', default='model', choices=['model', 'phenomenon'])
    p.add_argument('--threads', type=int, default=0, help='torch threads (0 = torch default)')
    p.add_argument('--no-explain', action='store_true', help='train and save only')
    return p.parse_args()


def main():
    args = parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    import torch_geometric
    import torch_geometric.transforms as T
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from torch_geometric.datasets import ExplainerDataset
    from torch_geometric.datasets.graph_generator import BAGraph
    from torch_geometric.datasets.motif_generator import HouseMotif
    from torch_geometric.explain import Explainer, GNNExplainer
    from torch_geometric.nn import GCN
    from torch_geometric.utils import k_hop_subgraph

    os.makedirs(args.out, exist_ok=True)
    summary = {'torch': torch.__version__, 'torch_geometric': torch_geometric.__version__,
               'threads': torch.get_num_threads(), 'seed': args.seed}

    # --- data: BA-Shapes, generated with PyG's own generators (BAGraph draws from numpy's RNG,
    # the motif placement and the model's initialisation from torch's: seed_everything sets both)
    torch_geometric.seed_everything(args.seed)
    dataset = ExplainerDataset(
        graph_generator=BAGraph(num_nodes=300, num_edges=5),
        motif_generator=HouseMotif(),
        num_motifs=80,
        transform=T.Constant(),
    )
    data = dataset[0]
    idx = torch.arange(data.num_nodes)
    train_idx, test_idx = train_test_split(idx, train_size=0.8, stratify=data.y,
                                           random_state=args.seed)
    data.train_mask = torch.zeros(data.num_nodes, dtype=torch.bool)
    data.train_mask[train_idx] = True
    data.test_mask = ~data.train_mask
    summary['num_nodes'] = int(data.num_nodes)
    summary['num_edges'] = int(data.edge_index.size(1))
    summary['num_motif_edges'] = int(data.edge_mask.sum())

    # --- model: PyG's GCN with jumping knowledge ('cat'), trained as in PyG's example
    model = GCN(data.num_node_features, hidden_channels=20, num_layers=3,
                out_channels=dataset.num_classes, jk='cat')
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, weight_decay=0.005)

    def train_step():
        model.train()
        optimizer.zero_grad()
        out = model(data.x, data.edge_index)
        loss = F.cross_entropy(out[train_idx], data.y[train_idx])
        torch.nn.utils.clip_grad_norm_(model.parameters(), 2.0)
        loss.backward()
        optimizer.step()
        return float(loss)

    @torch.no_grad()
    def accuracy():
        model.eval()
        pred = model(data.x, data.edge_index).argmax(dim=-1)
        return (float((pred[train_idx] == data.y[train_idx]).float().mean()),
                float((pred[test_idx] == data.y[test_idx]).float().mean()))

    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        loss = train_step()
        if epoch == 1 or epoch % 500 == 0 or epoch == args.epochs:
            tr, te = accuracy()
            print(f'epoch {epoch:4d}  loss {loss:.4f}  train {tr:.4f}  test {te:.4f}', flush=True)
    summary['train_s'] = round(time.perf_counter() - t0, 2)
    summary['train_acc'], summary['test_acc'] = accuracy()
    model.eval()
    print(f"trained {args.epochs} epochs in {summary['train_s']} s: "
          f"train acc {summary['train_acc']:.4f}, test acc {summary['test_acc']:.4f}")

    # --- files for the C++ side
    torch.save(data.to_dict(), os.path.join(args.out, 'graph.pt'))
    torch.save(model.state_dict(), os.path.join(args.out, 'model_state.pt'))
    torch.save(dict(model.state_dict()), os.path.join(args.out, 'model_params.pt'))
    with torch.no_grad():
        logits = model(data.x, data.edge_index)
    torch.save(logits, os.path.join(args.out, 'logits.pt'))
    summary['state_dict_keys'] = list(model.state_dict().keys())

    # TorchScript: torch.jit.script first; some PyG/torch pairs script a model whose saved code
    # does not compile again on load (GCNConv's Tensor/SparseTensor cache), so the file is
    # reloaded here and tracing (fixed to this graph's shapes) is the fallback.
    script_path = os.path.join(args.out, 'model_script.pt')
    for how in ('script', 'trace'):
        try:
            if how == 'script':
                scripted = torch.jit.script(model)
            else:
                scripted = torch.jit.trace(model, (data.x, data.edge_index))
            scripted.save(script_path)
            reloaded = torch.jit.load(script_path)
            with torch.no_grad():
                diff = float((reloaded(data.x, data.edge_index) - logits).abs().max())
            summary['torchscript'] = how
            summary['torchscript_max_abs_diff'] = diff
            print(f'saved model_script.pt (torch.jit.{how}), reloaded: max |diff| {diff:.2e}')
            break
        except Exception as e:  # noqa: BLE001 -- report, then fall back to tracing
            msg = ' '.join(str(e).split())[:300]
            summary[f'torchscript_{how}_error'] = msg
            print(f'torch.jit.{how} failed: {type(e).__name__}: {msg}')
    else:
        if os.path.exists(script_path):
            os.remove(script_path)

    if args.no_explain:
        _write_summary(args.out, summary)
        return

    # --- GNNExplainer on motif nodes
    explainer = Explainer(
        model=model,
        algorithm=GNNExplainer(epochs=args.explain_epochs),
        explanation_type=args.explanation_type,
        node_mask_type='attributes',
        edge_mask_type='object',
        model_config=dict(mode='multiclass_classification', task_level='node',
                          return_type='raw'),
    )
    motif_nodes = data.node_mask.nonzero().view(-1)
    nodes = motif_nodes[::args.explain_stride]
    target = data.y if args.explanation_type == 'phenomenon' else None
    targets, preds, per_node_auc, edge_masks, node_masks = [], [], [], [], []
    t0 = time.perf_counter()
    for i, node in enumerate(nodes.tolist()):
        explanation = explainer(data.x, data.edge_index, index=node, target=target)
        _, _, _, hard = k_hop_subgraph(node, num_hops=3, edge_index=data.edge_index)
        t, pr = data.edge_mask[hard], explanation.edge_mask[hard].detach()
        targets.append(t)
        preds.append(pr)
        if 0 < int(t.sum()) < t.numel():
            per_node_auc.append(roc_auc_score(t.numpy(), pr.numpy()))
        edge_masks.append(explanation.edge_mask.detach())
        node_masks.append(explanation.node_mask.detach())
        if (i + 1) % 10 == 0:
            print(f'explained {i + 1}/{len(nodes)} nodes', flush=True)
    elapsed = time.perf_counter() - t0
    auc = roc_auc_score(torch.cat(targets).numpy(), torch.cat(preds).numpy())
    summary.update({
        'explained_nodes': len(nodes),
        'explain_stride': args.explain_stride,
        'explain_epochs': args.explain_epochs,
        'explanation_type': args.explanation_type,
        'edge_auc_pooled': round(float(auc), 4),
        'edge_auc_mean_per_node': round(float(sum(per_node_auc) / len(per_node_auc)), 4),
        'explain_s_per_node': round(elapsed / len(nodes), 3),
    })
    torch.save({'index': nodes, 'edge_mask': torch.stack(edge_masks),
                'node_mask': torch.stack(node_masks)},
               os.path.join(args.out, 'gnnexplainer.pt'))
    print(f"GNNExplainer ({args.explain_epochs} epochs) on {len(nodes)} of {len(motif_nodes)} "
          f"motif nodes: edge ROC AUC {auc:.4f} (pooled over 3-hop edges), "
          f"{summary['edge_auc_mean_per_node']:.4f} (mean per node), "
          f"{summary['explain_s_per_node']:.3f} s/node")
    _write_summary(args.out, summary)


def _write_summary(out, summary):
    with open(os.path.join(out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'wrote {out}/summary.json')


if __name__ == '__main__':
    main()
