// GNN-LRP's reference: DIG's naive walk relevance, one masked modified forward and backward per walk.
#include <vector>

#include <torch/torch.h>

#include "explain/gnn_lrp/engine.h"
#include "gnnx/core/check.h"
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"

namespace gnnx::explain {

namespace gnn_lrp_detail {
namespace {

// ∂f/∂x restricted to the walk (every layer's output masked to the walk's node), read at v_0.
double naive_walk_one(const Engine& eng, const Target& t, const std::vector<int64_t>& walk) {
  const auto& graph = eng.graph();
  const int64_t N = graph.num_nodes;
  auto x = graph.x.detach().clone().requires_grad_(true);
  auto mask = [&](int64_t l, const at::Tensor& y) {
    auto m = torch::zeros({N, 1}, y.options());
    m[walk[static_cast<size_t>(l)]] = 1;
    return y * m + y.detach() * (1 - m);
  };
  auto hs = eng.forward(x, nullptr, mask);
  // Head block l reads h^(l) only if the walk stays at its node from layer l on (padding).
  const auto Lw = static_cast<size_t>(eng.L());
  for (size_t l = 1; l < Lw; ++l) {
    bool tail_const = true;
    for (size_t m = l; m <= Lw; ++m) tail_const = tail_const && walk[m] == walk[l];
    if (!tail_const) hs[l - 1] = hs[l - 1].detach();
  }
  auto y = eng.head(eng.representation(hs));
  auto f = y[eng.row_of(t)][t.label];
  auto gx = torch::autograd::grad({f}, {x}, {}, false, false, /*allow_unused=*/true)[0];
  if (!gx.defined()) return 0.0;
  const auto v0 = walk[0];
  return (graph.x[v0].to(torch::kDouble) * gx[v0].to(torch::kDouble)).sum().item<double>();
}

}  // namespace
}  // namespace gnn_lrp_detail

at::Tensor GNNLRP::naive_walk_relevance(const Graph& graph, const Target& target, const at::Tensor& walks) const {
  gnn_lrp_detail::Engine eng(model_, options_, graph);
  const auto t = eng.resolve_only(target);
  GNNX_CHECK(walks.defined() && walks.dim() == 2 && walks.size(1) == eng.L() + 1 && walks.scalar_type() == at::kLong,
             "GNNLRP::naive_walk_relevance: walks must be int64 [W, ", eng.L() + 1, "], got ",
             walks.defined() ? walks.sizes() : at::IntArrayRef{});
  auto wc = walks.cpu().contiguous();
  GNNX_CHECK(wc.numel() == 0 || (wc.min().item<int64_t>() >= 0 && wc.max().item<int64_t>() < graph.num_nodes),
             "GNNLRP::naive_walk_relevance: walks hold node ids outside [0, ", graph.num_nodes, ")");
  const int64_t W = wc.size(0);
  auto out = torch::zeros({W}, torch::kDouble);
  auto wa = wc.accessor<int64_t, 2>();
  for (int64_t w = 0; w < W; ++w) {
    std::vector<int64_t> walk(static_cast<size_t>(eng.L() + 1));
    for (int64_t l = 0; l <= eng.L(); ++l) walk[static_cast<size_t>(l)] = wa[w][l];
    if (!eng.graph_task()) {
      if (walk.back() != t.index) continue;  // walks not ending at the target carry no relevance
    }
    out[w] = gnn_lrp_detail::naive_walk_one(eng, t, walk);
  }
  return out;
}

}  // namespace gnnx::explain
