#!/usr/bin/env python3
"""gnnx's SubgraphX beside DIG's own (dive-into-graphs 1.1.0), on a graph classifier PyG trained.

    build/peers-venv/bin/python tests/peers/dig_subgraphx.py --gnnx build/src/cli/gnnx [--graphs 8 --rollout 20 --sample-num 100]

PyG's generators build BA-2Motifs (a 20-node BA graph with a house or a five-cycle attached; the
class is the motif) and PyG trains its GIN with sum pooling, as tests/peers/pyg_gnnexplainer.py
does; model and graphs are saved as a user saves them. Test graphs (--graphs of them) are explained
by `gnnx explain --method subgraphx` and by DIG's SubgraphX with the same settings (DIG's defaults
unless --rollout / --sample-num / --max-nodes say otherwise).

Exact checks (the test fails when one misses):
  * gnnx's explained logits are PyG's, and its coalitions are connected, with at most max_nodes nodes;
  * "masked", gnnx's score of its chosen coalition alone, equals DIG's gnn_score of that coalition;
  * with local_radius=1 the l-Shapley reward draws nothing (the region is the coalition), so gnnx's
    reported mc_l_shapley values equal DIG's on gnnx's coalitions;
  * with reward gnn_score the search is deterministic: gnnx's tree search must choose DIG's coalition
    on at least half of the graphs, and elsewhere one that DIG itself scores at least as high (less
    1e-6). Coalitions that are mirror images score the same up to rounding, and the two sides round
    differently (PyG's and gnnx's sums run in different orders), so a tie between them can go
    either way and the two searches then follow different paths.
Side by side (reported; the Monte-Carlo draws are random on both sides): seconds per graph, the
fraction of each coalition's nodes in the planted motif, the coalition's Shapley value under DIG's
own estimator (--rescore draws), and the masked / mask-out probabilities. Prints a table and one
JSON line.

DIG's SubgraphX module imports rdkit at the top for drawing molecules, which this comparison never
does; rdkit is not installed, so an empty stand-in module is put in its place, and only DIG's
xgraph/method/{subgraphx,shapley}.py are loaded (its package __init__ imports every other method
and their pinned dependencies).
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyg_gnnexplainer import train_ba_2motifs_gin  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--gnnx', required=True, help='the gnnx command-line tool')
    p.add_argument('--graphs', type=int, default=4, help='BA-2Motifs test graphs explained (at most 40)')
    p.add_argument('--train-epochs', type=int, default=1000, help="epochs of the GCN's training")
    p.add_argument('--rollout', type=int, default=20, help='MCTS rollouts (DIG: 20)')
    p.add_argument('--sample-num', type=int, default=100, help='Monte-Carlo draws per Shapley value (DIG: 100)')
    p.add_argument('--max-nodes', type=int, default=5, help='largest explanation (DIG example: 5)')
    p.add_argument('--rescore', type=int, default=200, help="draws of DIG's mc_l_shapley when it rescores coalitions")
    p.add_argument('--skip-dig-search', action='store_true', help="run the exact checks only, not DIG's search")
    p.add_argument('--reward', default='mc_l_shapley', help='the reward of the side-by-side run (DIG: mc_l_shapley)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='', help='keep the files here (default: a temporary folder)')
    return p.parse_args()


def load_dig():
    spec = importlib.util.find_spec('dig')
    if spec is None:
        sys.exit("dive-into-graphs is not installed in this environment (scripts/peers/setup.sh)")
    root = list(spec.submodule_search_locations)[0]
    for name, path in [('dig', root), ('dig.xgraph', os.path.join(root, 'xgraph')),
                       ('dig.xgraph.method', os.path.join(root, 'xgraph', 'method'))]:
        module = types.ModuleType(name)
        module.__path__ = [path]
        sys.modules.setdefault(name, module)
    if importlib.util.find_spec('rdkit') is None:
        rdkit = types.ModuleType('rdkit')
        rdkit.Chem = types.ModuleType('rdkit.Chem')
        sys.modules['rdkit'], sys.modules['rdkit.Chem'] = rdkit, rdkit.Chem
    from dig.xgraph.method import shapley, subgraphx
    return subgraphx, shapley


class DataModel(torch.nn.Module):
    """DIG calls model(data=batch) and model(x, edge_index); the GIN takes (x, edge_index, batch)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x=None, edge_index=None, data=None):
        batch = None
        if data is not None:
            x, edge_index, batch = data.x, data.edge_index, getattr(data, 'batch', None)
        if batch is None:
            batch = torch.zeros(x.size(0), dtype=torch.long)
        return self.model(x, edge_index, batch)


def gnnx_run(args, folder, tag, graphs, options):
    out = os.path.join(folder, f'explanations_{tag}.pt')
    cmd = [args.gnnx, 'explain', '--model', os.path.join(folder, 'model.pt'), '--graph',
           os.path.join(folder, 'graph.pt'), '--readout', 'sum', '--method', 'subgraphx', '--out', out, '--json']
    for j in graphs:
        cmd += ['--graph-index', str(j)]
    for kv in options:
        cmd += ['--option', kv]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f'gnnx explain failed ({run.returncode}):\n{" ".join(cmd)}\n{run.stdout}\n{run.stderr}')
    explanations = torch.load(out)['explanations']
    info = json.loads(run.stdout.strip().splitlines()[-1])  # the diagnostics are in the JSON line
    for e, j in zip(explanations, info['explanations']):
        e['diagnostics'] = j['diagnostics']
    return explanations


def coalition(ex, first):
    # Saved explanations are compact: node_mask[i] belongs to node node_ids[i] (ids of the batch file).
    return sorted(int(v) - first for v in ex['node_ids'][ex['node_mask'] > 0.5])


def connected(edge_index, nodes):
    nodes = set(nodes)
    seen, stack = {min(nodes)}, [min(nodes)]
    src, dst = edge_index.tolist()
    adj = {}
    for a, b in zip(src, dst):
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    while stack:
        v = stack.pop()
        for w in adj.get(v, ()):
            if w in nodes and w not in seen:
                seen.add(w)
                stack.append(w)
    return seen == nodes


def main():
    args = parse_args()
    torch.set_num_threads(1)
    subgraphx, shapley = load_dig()
    from torch_geometric.data import Batch, Data
    import numpy as np
    folder = args.out or tempfile.mkdtemp(prefix='gnnx_dig_subgraphx_')
    os.makedirs(folder, exist_ok=True)
    graphs, batch, model, logits, acc = train_ba_2motifs_gin(args)
    torch.save({'x': batch.x, 'edge_index': batch.edge_index, 'batch': batch.batch, 'y': batch.y},
               os.path.join(folder, 'graph.pt'))
    torch.save(dict(model.state_dict()), os.path.join(folder, 'model.pt'))
    test = list(range(160, 160 + min(args.graphs, 40)))
    wrapped = DataModel(model).eval()
    pred = logits.argmax(-1)
    settings = [f'rollout={args.rollout}', f'sample_num={args.sample_num}', f'max_nodes={args.max_nodes}',
                f'seed={args.seed}']

    t0 = time.perf_counter()
    ours = gnnx_run(args, folder, 'side_by_side', test, settings + [f'reward={args.reward}'])
    ours_wall = time.perf_counter() - t0
    radius1 = gnnx_run(args, folder, 'radius1', test, ['rollout=2', 'sample_num=3', 'local_radius=1'])
    scored = gnnx_run(args, folder, 'gnn_score', test, ['reward=gnn_score', f'max_nodes={args.max_nodes}'])

    def dig_search(d, label, reward):
        explainer = subgraphx.SubgraphX(wrapped, num_classes=2, device='cpu', explain_graph=True,
                                        rollout=args.rollout if reward != 'gnn_score' else 20,
                                        sample_num=args.sample_num, reward_method=reward, vis=False)
        t0 = time.perf_counter()
        results, related = explainer.explain(d.x, d.edge_index, label=label, max_nodes=args.max_nodes)
        seconds = time.perf_counter() - t0
        best = subgraphx.find_closest_node_result(explainer.read_from_MCTSInfo_list(results), args.max_nodes)
        return sorted(best.coalition), related, seconds

    failures, rows = [], []
    noff = batch.ptr
    for i, j in enumerate(test):
        d, first = graphs[j], int(noff[j])
        data = Batch.from_data_list([Data(x=d.x, edge_index=d.edge_index)])
        label = int(pred[j])
        value = shapley.GnnNetsGC2valueFunc(wrapped, target_class=label)
        ex = ours[i]
        if float((ex['logits'] - logits[j]).abs().max()) > 1e-4:
            failures.append(f'graph {j}: explained logits differ from PyG\'s')
        nodes_g = coalition(ex, first)
        if not nodes_g or len(nodes_g) > args.max_nodes or not connected(d.edge_index, nodes_g):
            failures.append(f'graph {j}: coalition {nodes_g} is not a connected set of 1..{args.max_nodes} nodes')
            continue
        dig_masked = shapley.gnn_score(nodes_g, data, value_func=value, subgraph_building_method='zero_filling')
        if abs(dig_masked - ex['diagnostics']['masked']) > 1e-5:
            failures.append(f'graph {j}: masked {ex["diagnostics"]["masked"]:.7f}, DIG gnn_score {dig_masked:.7f}')
        r1 = radius1[i]
        dig_r1 = shapley.mc_l_shapley(coalition(r1, first), data, local_radius=1, value_func=value, sample_num=3)
        if abs(dig_r1 - r1['diagnostics']['shapley']) > 1e-5:
            failures.append(f'graph {j}: mc_l_shapley with local_radius 1: gnnx {r1["diagnostics"]["shapley"]:.7f}, '
                            f'DIG {dig_r1:.7f}')
        dig_scored, _, _ = dig_search(d, label, 'gnn_score')
        if coalition(scored[i], first) != dig_scored:
            ours_v = shapley.gnn_score(coalition(scored[i], first), data, value_func=value)
            dig_v = shapley.gnn_score(dig_scored, data, value_func=value)
            note = (f'graph {j}: gnn_score search chose {coalition(scored[i], first)} (DIG scores it {ours_v:.9f}), '
                    f'DIG {dig_scored} ({dig_v:.9f})')
            print(note)
            if ours_v < dig_v - 1e-6:
                failures.append(note)
        in_motif = lambda cs: sum(1 for u in cs if u >= 20) / len(cs)  # noqa: E731  (the motif is nodes 20..24)
        row = {'graph': j, 'label': label, 'gnnx_s': ex['diagnostics']['seconds'], 'gnnx_coalition': nodes_g,
               'gnnx_in_motif': in_motif(nodes_g), 'gnnx_masked': ex['diagnostics']['masked'],
               'gnnx_maskout': ex['diagnostics']['maskout'],
               'gnnx_shapley_dig': shapley.mc_l_shapley(nodes_g, data, local_radius=4, value_func=value,
                                                        sample_num=args.rescore),
               'gnn_score_search_equal': coalition(scored[i], first) == dig_scored}
        if not args.skip_dig_search:
            torch.manual_seed(args.seed)
            np.random.seed(args.seed)
            nodes_d, related, seconds = dig_search(d, label, args.reward)
            row.update(dig_s=seconds, dig_coalition=nodes_d, dig_in_motif=in_motif(nodes_d),
                       dig_masked=related['masked'], dig_maskout=related['maskout'],
                       dig_shapley_dig=shapley.mc_l_shapley(nodes_d, data, local_radius=4, value_func=value,
                                                            sample_num=args.rescore))
        rows.append(row)

    print(f'SubgraphX: PyG GIN (sum pooling) on BA-2Motifs (accuracy {acc:.3f}); {len(test)} test graphs, reward '
          f'{args.reward}, rollout {args.rollout}, sample_num {args.sample_num}, max_nodes {args.max_nodes}; '
          f'Shapley rescored by DIG with {args.rescore} draws')
    print(f'{"graph":>5s} | {"gnnx s":>8s} {"motif":>6s} {"Shapley":>8s} {"masked":>7s} | '
          f'{"DIG s":>8s} {"motif":>6s} {"Shapley":>8s} {"masked":>7s}')
    for r in rows:
        dig = (f'{r["dig_s"]:8.2f} {r["dig_in_motif"]:6.2f} {r["dig_shapley_dig"]:8.4f} {r["dig_masked"]:7.4f}'
               if 'dig_s' in r else '')
        print(f'{r["graph"]:5d} | {r["gnnx_s"]:8.2f} {r["gnnx_in_motif"]:6.2f} {r["gnnx_shapley_dig"]:8.4f} '
              f'{r["gnnx_masked"]:7.4f} | {dig}')

    def mean(key):
        values = [r[key] for r in rows if key in r]
        return statistics.mean(values) if values else None

    same_search = sum(r['gnn_score_search_equal'] for r in rows)
    print(f'gnn_score searches that chose the same coalition as DIG: {same_search} of {len(rows)}')
    if 2 * same_search < len(rows):
        failures.append(f'only {same_search} of {len(rows)} gnn_score searches chose DIG\'s coalition')
    summary = {k: mean(k) for k in ('gnnx_s', 'gnnx_in_motif', 'gnnx_shapley_dig', 'gnnx_masked', 'dig_s',
                                    'dig_in_motif', 'dig_shapley_dig', 'dig_masked')}
    if summary['dig_s']:
        print(f'mean seconds per graph: gnnx {summary["gnnx_s"]:.2f}, DIG {summary["dig_s"]:.2f} '
              f'({summary["dig_s"] / summary["gnnx_s"]:.1f}x); gnnx process {ours_wall:.1f} s for all graphs')
    for f in failures:
        print('FAILED:', f)
    print(json.dumps({'bench': 'dig_subgraphx', 'graphs': test, 'reward': args.reward, 'rollout': args.rollout,
                      'sample_num': args.sample_num, 'max_nodes': args.max_nodes, 'accuracy': acc,
                      'gnnx_process_s': ours_wall, 'gnn_score_same_search': same_search, **summary, 'rows': rows, 'exact_checks_failed': failures}),
          flush=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
