#!/usr/bin/env python3
"""PyG models and their logits, for checking gnnx's import of PyG state dicts (docs/pyg.md).

    build/peers-venv/bin/python scripts/peers/pyg_models.py --out DIR
    build/peers-venv/bin/python scripts/peers/pyg_models.py --fixtures tests/data/pyg

Builds every supported architecture with PyG itself, seeded: the BasicGNN models GCN, GIN,
GraphSAGE and GAT (v2=False, heads 1 and 2) and a BasicGNN-shaped stack of GraphConv (PyG has
no GraphConv BasicGNN), each with jk None, 'last' and 'cat', for a node task (the BasicGNN with
out_channels = classes) and a graph task (`gnn`: the BasicGNN with out_channels=None, a global
pooling, `lin`: Linear(hidden, classes)). Parameters are PyG's initialisation plus noise, so
that zero-initialised biases and GIN's eps matter too. Logits come from eval mode.

Writes to the directory:
  graph.pt            {'x': [N, F] float, 'edge_index': [2, E] int64, 'batch': [N] int64}: a
                      few graphs, some nodes without in-edges, a few self loops
  <name>.pt           torch.save(dict(model.state_dict())) of each model
  <name>_logits.pt    PyG's logits on graph.pt: [N, C] (node task) or [B, C] (graph task)
  models.json         one entry per model: name, conv, jk, task, readout, in_channels,
                      hidden_channels, num_layers, num_classes, heads
  ordered_dict.pt     torch.save(model.state_dict()) as it is: a collections.OrderedDict
  batch_norm.pt       dict(state_dict) of a GCN with norm='batch_norm' (keys gnnx refuses)

--fixtures writes the same layout for a small graph and a few models (committed test data:
the output is the same on every run).
"""
import argparse
import json
import os

import torch
from torch_geometric.nn import GraphConv, global_add_pool, global_max_pool, global_mean_pool
from torch_geometric.nn.models import GAT, GCN, GIN, GraphSAGE
from torch_geometric.nn.models.basic_gnn import BasicGNN


class GraphConvGNN(BasicGNN):
    """BasicGNN of GraphConv layers (sum aggregation, root weight), as PyG's GCN is of GCNConv."""
    supports_edge_weight = True
    supports_edge_attr = False
    supports_norm_batch = False

    def init_conv(self, in_channels, out_channels, **kwargs):
        return GraphConv(in_channels, out_channels, **kwargs)


BASIC_GNN = {'gcn': GCN, 'graphconv': GraphConvGNN, 'gin': GIN, 'sage': GraphSAGE, 'gat': GAT}
POOL = {'sum': global_add_pool, 'mean': global_mean_pool, 'max': global_max_pool}


class GraphClassifier(torch.nn.Module):
    """The graph-task layout gnnx imports: gnn (node embeddings), pooling, lin."""

    def __init__(self, gnn, readout, hidden_channels, num_classes):
        super().__init__()
        self.gnn = gnn
        self.readout = readout
        self.lin = torch.nn.Linear(hidden_channels, num_classes)

    def forward(self, x, edge_index, batch):
        return self.lin(POOL[self.readout](self.gnn(x, edge_index), batch))


def make_graph(sizes, in_channels, seed):
    """Random directed graphs of the given sizes in one batch; a tenth of each graph's nodes get
    no in-edges, two nodes per graph a self loop."""
    g = torch.Generator().manual_seed(seed)
    edges, batch, offset = [], [], 0
    for b, n in enumerate(sizes):
        m = 3 * n
        src = torch.randint(0, n, (m,), generator=g)
        dst = torch.randint(0, max(1, n - n // 10), (m,), generator=g)  # the last n // 10 nodes: no in-edges
        keep = src != dst
        loops = torch.randint(0, n, (2,), generator=g)
        edges.append(torch.cat([torch.stack([src[keep], dst[keep]]), torch.stack([loops, loops])], 1) + offset)
        batch.append(torch.full((n,), b, dtype=torch.long))
        offset += n
    x = torch.randn(offset, in_channels, generator=g)
    return {'x': x, 'edge_index': torch.cat(edges, 1), 'batch': torch.cat(batch)}


def build(spec):
    cls = BASIC_GNN[spec['conv']]
    kw = {'heads': spec['heads']} if spec['conv'] == 'gat' else {}
    jk = None if spec['jk'] == 'none' else spec['jk']
    if spec['task'] == 'node':
        return cls(spec['in_channels'], spec['hidden_channels'], spec['num_layers'],
                   out_channels=spec['num_classes'], jk=jk, **kw)
    gnn = cls(spec['in_channels'], spec['hidden_channels'], spec['num_layers'], out_channels=None, jk=jk, **kw)
    return GraphClassifier(gnn, spec['readout'], spec['hidden_channels'], spec['num_classes'])


def perturb(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.add_(0.3 * torch.randn(t.shape, generator=g))


def logits(model, graph, task):
    model.eval()
    with torch.no_grad():
        if task == 'node':
            return model(graph['x'], graph['edge_index'])
        return model(graph['x'], graph['edge_index'], graph['batch'])


def specs(full, in_channels):
    out = []
    readouts = ['sum', 'mean', 'max']
    for conv in BASIC_GNN:
        for jk in ('none', 'last', 'cat'):
            for task in ('node', 'graph'):
                heads = 2 if conv == 'gat' and (jk != 'last' or task == 'graph') else 1
                out.append({'name': f'{conv}_{task}_jk_{jk}', 'conv': conv, 'jk': jk, 'task': task,
                            'readout': readouts[len(out) % 3], 'in_channels': in_channels,
                            'hidden_channels': 8 if full else 4, 'num_layers': 3 if full else 2,
                            'num_classes': 3, 'heads': heads})
    if full:
        out.append({'name': 'gcn_node_jk_cat_1layer', 'conv': 'gcn', 'jk': 'cat', 'task': 'node', 'readout': 'sum',
                    'in_channels': in_channels, 'hidden_channels': 8, 'num_layers': 1, 'num_classes': 3,
                    'heads': 1})
        out.append({'name': 'gat_node_jk_none_1layer', 'conv': 'gat', 'jk': 'none', 'task': 'node',
                    'readout': 'sum', 'in_channels': in_channels, 'hidden_channels': 8, 'num_layers': 1,
                    'num_classes': 3, 'heads': 3})
        return out
    keep = {'gcn_node_jk_cat', 'gcn_graph_jk_none', 'gat_node_jk_none', 'gin_graph_jk_last', 'sage_node_jk_last',
            'graphconv_graph_jk_cat'}
    return [s for s in out if s['name'] in keep]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', help='directory for the full set (a few hundred nodes, every architecture)')
    ap.add_argument('--fixtures', help='directory for the small committed set')
    args = ap.parse_args()
    if not (args.out or args.fixtures):
        ap.error('give --out or --fixtures')
    full = args.out is not None
    out_dir = args.out or args.fixtures
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    in_channels = 6 if full else 3
    graph = make_graph([120, 90, 70, 40] if full else [7, 5], in_channels, seed=1)
    torch.save(graph, os.path.join(out_dir, 'graph.pt'))
    manifest = []
    for i, spec in enumerate(specs(full, in_channels)):
        torch.manual_seed(100 + i)
        model = build(spec)
        perturb(model, 200 + i)
        torch.save(dict(model.state_dict()), os.path.join(out_dir, spec['name'] + '.pt'))
        torch.save(logits(model, graph, spec['task']).contiguous(),
                   os.path.join(out_dir, spec['name'] + '_logits.pt'))
        manifest.append(spec)
    with open(os.path.join(out_dir, 'models.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    torch.manual_seed(7)
    small = GCN(in_channels, 4, 2, out_channels=3)
    torch.save(small.state_dict(), os.path.join(out_dir, 'ordered_dict.pt'))
    torch.save(dict(GCN(in_channels, 4, 2, out_channels=3, norm='batch_norm', jk='cat').state_dict()),
               os.path.join(out_dir, 'batch_norm.pt'))
    print(f'wrote {len(manifest)} models to {out_dir}')


if __name__ == '__main__':
    main()
