#include "gnnx/explain/explanation.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/connected_components.hpp>
#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::explain {
namespace {
void check_scored(const Explanation& e, const char* op) {
  GNNX_CHECK(e.edge_mask.defined() && e.edge_mask.dim() == 1, op, ": this explanation (", e.method,
             ") has no edge mask");
}
at::Tensor scored_ids(const Explanation& e) {
  return e.edge_ids.defined() ? e.edge_ids.to(e.edge_mask.device())
                              : torch::arange(e.edge_mask.size(0),
                                              torch::TensorOptions().dtype(torch::kLong).device(e.edge_mask.device()));
}
}  // namespace

at::Tensor Explanation::top_edges(int64_t k) const {
  check_scored(*this, "Explanation::top_edges");
  GNNX_CHECK(k >= 0, "Explanation::top_edges: k must be >= 0, got ", k);
  auto ids = scored_ids(*this);
  auto scores = edge_mask.index_select(0, ids).to(torch::kDouble);
  // Stable descending sort keeps the lower id first among ties (ids are ascending).
  auto order = std::get<1>(torch::sort(scores, /*stable=*/true, /*dim=*/0, /*descending=*/true));
  return ids.index_select(0, order.slice(0, 0, std::min<int64_t>(k, ids.size(0))));
}

at::Tensor Explanation::edges_above(double threshold) const {
  check_scored(*this, "Explanation::edges_above");
  auto ids = scored_ids(*this);
  return ids.index({edge_mask.index_select(0, ids) >= threshold});
}

at::Tensor Explanation::connected_to_target(const Graph& graph, const at::Tensor& selected) const {
  graph.validate("Explanation::connected_to_target");
  GNNX_CHECK(target.kind == Target::Kind::kNode, "Explanation::connected_to_target: needs a node target, got ",
             gnnx::to_string(target));
  GNNX_CHECK(target.index >= 0 && target.index < graph.num_nodes, "Explanation::connected_to_target: target node ",
             target.index, " is outside the graph of ", graph.num_nodes, " nodes");
  auto sel = selected.to(torch::kCPU).contiguous();
  GNNX_CHECK(sel.dim() == 1 && sel.scalar_type() == at::kLong,
             "Explanation::connected_to_target: selected must be 1-D int64");
  auto ei = graph.edge_index.to(torch::kCPU).contiguous();
  auto a = ei.accessor<int64_t, 2>();
  const auto* s = sel.data_ptr<int64_t>();
  using UG = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  UG ug(static_cast<size_t>(graph.num_nodes));
  for (int64_t i = 0; i < sel.numel(); ++i) {
    GNNX_CHECK(s[i] >= 0 && s[i] < ei.size(1), "Explanation::connected_to_target: edge id ", s[i], " out of range");
    boost::add_edge(static_cast<size_t>(a[0][s[i]]), static_cast<size_t>(a[1][s[i]]), ug);
  }
  std::vector<int> comp(static_cast<size_t>(graph.num_nodes));
  boost::connected_components(ug, comp.data());
  const int c = comp[static_cast<size_t>(target.index)];
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < sel.numel(); ++i)
    if (comp[static_cast<size_t>(a[0][s[i]])] == c) keep.push_back(s[i]);
  return torch::tensor(keep, torch::kLong);
}

}  // namespace gnnx::explain
