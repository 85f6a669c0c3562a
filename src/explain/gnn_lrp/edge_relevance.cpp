// GNN-LRP's edge relevance over all walks in one forward and one backward sweep, without enumerating walks.
#include <vector>

#include <torch/torch.h>

#include "explain/gnn_lrp/engine.h"
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"

namespace gnnx::explain {

at::Tensor GNNLRP::edge_relevance(const Graph& graph, const Target& target) const {
  gnn_lrp_detail::Engine eng(model_, options_, graph);
  auto P = eng.prepare(target);
  // Forward messages P_l (Σ over prefixes) and backward messages B_l (Σ over suffixes).
  std::vector<at::Tensor> fwd{P.x};
  for (int64_t l = 1; l <= P.L; ++l) {
    const auto& tr = P.trans[static_cast<size_t>(l - 1)];
    const auto& maps = P.maps[static_cast<size_t>(l - 1)];
    const auto& prev = fwd.back();
    auto agg = torch::zeros({P.N, prev.size(1)}, prev.options())
                   .index_add(0, tr.dst, tr.ca.unsqueeze(1) * prev.index_select(0, tr.src));
    at::Tensor aggr;
    if (maps.has_root())
      aggr = torch::zeros_like(agg).index_add(0, tr.dst, tr.cb.unsqueeze(1) * prev.index_select(0, tr.src));
    fwd.push_back(maps.forward(agg, aggr, /*nodes=*/at::Tensor()));
  }
  const auto E = graph.num_edges();
  auto er = torch::zeros({E}, P.x.options());
  // B_L = g_L on the walks' end nodes.
  auto B = P.g.back().clone();
  if (!eng.graph_task()) {
    auto keep = torch::zeros({P.N, 1}, B.options());
    keep[P.target.index] = 1;
    B = B * keep;
  }
  const int64_t N = P.N;
  auto ekey = graph.edge_index[1] * N + graph.edge_index[0];
  for (int64_t l = P.L; l >= 1; --l) {
    const auto& tr = P.trans[static_cast<size_t>(l - 1)];
    auto [u, root] = P.maps[static_cast<size_t>(l - 1)].backward(B, torch::arange(N, tr.dst.options()));
    auto per_slot = tr.ca.unsqueeze(1) * u.index_select(0, tr.dst);
    if (root.defined()) per_slot = per_slot + tr.cb.unsqueeze(1) * root.index_select(0, tr.dst);
    // Relevance through each transition at this layer: P_{l-1}[j] · (J^T B_l[i]).
    auto through = (fwd[static_cast<size_t>(l - 1)].index_select(0, tr.src) * per_slot).sum(1);
    auto skey = tr.dst * N + tr.src;  // sorted ascending (slots grouped by target, then source)
    auto pos = torch::searchsorted(skey, ekey).clamp_max(skey.size(0) - 1);
    auto hit = skey.index_select(0, pos) == ekey;
    auto nonself = graph.edge_index[0] != graph.edge_index[1];
    er = er + torch::where(hit.logical_and(nonself), through.index_select(0, pos), torch::zeros_like(er));
    B = torch::zeros({N, per_slot.size(1)}, per_slot.options()).index_add(0, tr.src, per_slot);
    if (l - 1 >= 1) {
      auto gm = P.g[static_cast<size_t>(l - 2)];
      if (!eng.graph_task()) {
        auto keep = torch::zeros({N, 1}, gm.options());
        keep[P.target.index] = 1;
        gm = gm * keep;
      }
      B = B + gm;
    }
  }
  return er.cpu();
}

}  // namespace gnnx::explain
