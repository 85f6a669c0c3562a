// WalkExplanation's aggregations: node and edge relevance from the walks held, and the shared Explanation.
#include "gnnx/explain/gnn_lrp/walk_explanation.h"

#include <unordered_map>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::explain {

at::Tensor WalkExplanation::node_relevance(int64_t num_nodes) const {
  GNNX_CHECK(num_nodes > 0, "WalkExplanation::node_relevance: num_nodes must be positive, got ", num_nodes);
  auto out = torch::zeros({num_nodes}, torch::kDouble);
  if (size() == 0) return out;
  GNNX_CHECK(walks.max().item<int64_t>() < num_nodes, "WalkExplanation::node_relevance: walks hold node id ",
             walks.max().item<int64_t>(), " >= num_nodes = ", num_nodes);
  return out.index_add(0, walks.select(1, 0), relevance);
}

at::Tensor WalkExplanation::edge_relevance(const Graph& graph) const {
  graph.validate("WalkExplanation::edge_relevance");
  const int64_t E = graph.num_edges();
  const int64_t N = graph.num_nodes;
  auto out = torch::zeros({E}, torch::kDouble);
  if (size() == 0) return out;
  auto ei = graph.edge_index.cpu().contiguous();
  auto ea = ei.accessor<int64_t, 2>();
  std::unordered_map<int64_t, double> per_pair;
  auto wa = walks.accessor<int64_t, 2>();
  auto ra = relevance.accessor<double, 1>();
  for (int64_t w = 0; w < walks.size(0); ++w)
    for (int64_t l = 1; l <= num_layers; ++l) {
      const int64_t a = wa[w][l - 1], b = wa[w][l];
      if (a != b) per_pair[b * N + a] += ra[w];
    }
  auto oa = out.accessor<double, 1>();
  for (int64_t e = 0; e < E; ++e) {
    if (ea[0][e] == ea[1][e]) continue;
    auto it = per_pair.find(ea[1][e] * N + ea[0][e]);
    if (it != per_pair.end()) oa[e] = it->second;
  }
  return out;
}

Explanation WalkExplanation::to_explanation(const Graph& graph) const {
  Explanation e;
  e.method = "gnn-lrp";
  e.target = target;
  auto er = edge_relevance(graph);
  // Masks rank importance: |relevance| (evidence for and against); the signed values stay in
  // edge_relevance() / node_relevance().
  e.edge_mask = er.abs().to(torch::kFloat);
  e.node_mask = node_relevance(graph.num_nodes).abs().to(torch::kFloat);
  // Edges and nodes the held walks touch.
  std::vector<int64_t> eids;
  auto ei = graph.edge_index.cpu();
  {
    std::unordered_map<int64_t, bool> used;
    const int64_t N = graph.num_nodes;
    auto wa = walks.accessor<int64_t, 2>();
    for (int64_t w = 0; w < size(); ++w)
      for (int64_t l = 1; l <= num_layers; ++l)
        if (wa[w][l - 1] != wa[w][l]) used[wa[w][l] * N + wa[w][l - 1]] = true;
    auto ea = ei.accessor<int64_t, 2>();
    for (int64_t k = 0; k < graph.num_edges(); ++k)
      if (ea[0][k] != ea[1][k] && used.count(ea[1][k] * N + ea[0][k])) eids.push_back(k);
  }
  e.edge_ids = torch::tensor(eids, torch::kLong);
  e.node_ids = size() > 0 ? std::get<0>(at::_unique2(walks.flatten(), true, false, false))
                          : torch::zeros({0}, torch::kLong);
  e.diagnostics["output"] = output;
  e.diagnostics["sum_relevance"] = sum_relevance;
  e.diagnostics["residual"] = residual;
  e.diagnostics["num_walks"] = static_cast<double>(num_walks);
  e.diagnostics["walks_held"] = static_cast<double>(size());
  e.diagnostics["seconds"] = seconds;
  return e;
}

}  // namespace gnnx::explain
