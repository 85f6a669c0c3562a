#pragma once
/// GNN-LRP as an Explainer (the registry's "gnn-lrp"): edge and node masks from all walks.

#include <string>
#include <utility>
#include <vector>

#include "gnnx/core/target.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/explanation.h"
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::explain {

/// The registry's "gnn-lrp": for each target, edge_mask = |edge relevance| over all walks (exact,
/// GNNLRP::edge_relevance), node_mask = |first-order node relevance|, feature_mask = [N, F]
/// signed relevance; diagnostics output, sum_relevance, residual, num_walks. Default options.
class GNNLRPExplainer : public Explainer {
 public:
  explicit GNNLRPExplainer(GNNLRPOptions options = {}) : options_(std::move(options)) {}
  std::string name() const override { return "gnn-lrp"; }
  std::vector<Explanation> explain(nn::GNNModel& model, const Graph& graph,
                                   const std::vector<Target>& targets) override;

 private:
  GNNLRPOptions options_;
};

}  // namespace gnnx::explain
