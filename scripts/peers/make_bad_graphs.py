#!/usr/bin/env python3
"""Writes tests/data/bad/: malformed (and unusual but valid) PyG-style graph files for the
catalogue of bad inputs (tests/bad_inputs/catalogue.sh), each a copy of
tests/data/pyg_ba_shapes_graph.pt with one thing changed.

    build/peers-venv/bin/python scripts/peers/make_bad_graphs.py
"""
import os

import torch

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'data')
g = torch.load(os.path.join(root, 'pyg_ba_shapes_graph.pt'))
out = os.path.join(root, 'bad')
os.makedirs(out, exist_ok=True)


def save(name, **changes):
    d = {k: (v.clone() if torch.is_tensor(v) else v) for k, v in g.items()}
    for k, v in changes.items():
        if v is None:
            d.pop(k)
        else:
            d[k] = v
    torch.save(d, os.path.join(out, name + '.pt'))


x, ei = g['x'], g['edge_index']
N = x.size(0)
xn = x.clone(); xn[3, 0] = float('nan'); save('x_nan', x=xn)
xi = x.clone(); xi[3, 0] = float('inf'); save('x_inf', x=xi)
save('x_int', x=x.long())
save('x_wide', x=torch.ones(N, 2))
save('x_missing', x=None)
save('edge_float', edge_index=ei.float())
save('edge_three_rows', edge_index=torch.cat([ei, ei[:1]], 0))
e = ei.clone(); e[1, 5] = N; save('edge_id_n', edge_index=e)
e = ei.clone(); e[0, 5] = -1; save('edge_negative', edge_index=e)
save('empty', x=torch.zeros(0, 1), edge_index=torch.zeros(2, 0, dtype=torch.long), y=torch.zeros(0, dtype=torch.long))
save('self_loops', edge_index=torch.cat([ei, torch.arange(N).repeat(2, 1)], 1))
save('duplicate_edges', edge_index=torch.cat([ei, ei[:, :50]], 1))
save('isolated_node', x=torch.cat([x, x[:1]]), y=torch.cat([g['y'], g['y'][:1]]))
torch.save(torch.zeros(3), os.path.join(out, 'not_a_dict.pt'))
ew = torch.ones(ei.size(1)); ew[7] = float('nan'); save('edge_weight_nan', edge_weight=ew)
save('edge_weight_short', edge_weight=torch.ones(ei.size(1) - 1))
with open(os.path.join(root, 'pyg_ba_shapes_graph.pt'), 'rb') as f:
    raw = f.read()
with open(os.path.join(out, 'truncated.pt'), 'wb') as f:
    f.write(raw[:len(raw) // 2])
