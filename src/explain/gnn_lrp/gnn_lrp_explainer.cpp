// GNNLRPExplainer: GNN-LRP behind the Explainer interface (edge masks from all walks, first-order node masks).
#include "gnnx/explain/gnn_lrp/gnn_lrp_explainer.h"

#include <chrono>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/graph/ops.h"

namespace gnnx::explain {

std::vector<Explanation> GNNLRPExplainer::explain(nn::GNNModel& model, const Graph& graph,
                                                  const std::vector<Target>& targets) {
  GNNX_CHECK(!targets.empty(), "GNNLRPExplainer: no targets given");
  GNNLRP lrp(model, options_);
  std::vector<Explanation> out;
  for (const auto& t : targets) {
    const auto t0 = std::chrono::steady_clock::now();
    auto first = lrp.first_order(graph, t);
    Explanation e;
    e.method = "gnn-lrp";
    e.target = first.target;
    e.edge_mask = lrp.edge_relevance(graph, first.target).abs().to(torch::kFloat);
    e.node_mask = first.node_relevance.detach().abs().to(torch::kFloat).cpu();
    e.feature_mask = first.relevance.detach().to(torch::kFloat).cpu();
    if (model.task() == nn::Task::kNode) {
      auto sub = k_hop_subgraph(graph, first.target.index, model.num_hops());
      e.edge_ids = sub.edge_ids.cpu();
      e.node_ids = sub.node_ids.cpu();
    } else {
      e.edge_ids = torch::arange(graph.num_edges(), torch::kLong);
      e.node_ids = torch::arange(graph.num_nodes, torch::kLong);
    }
    e.diagnostics["output"] = first.output;
    e.diagnostics["sum_relevance"] = first.sum_relevance;
    e.diagnostics["residual"] = first.output - first.sum_relevance;
    e.diagnostics["num_walks"] = lrp.count_walks(graph, first.target);
    e.diagnostics["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace gnnx::explain
