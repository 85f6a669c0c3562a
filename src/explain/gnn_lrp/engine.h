#pragma once
// GNN-LRP's propagation engine (private): the rule-modified model on one graph, and what it prepares for one target.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "explain/gnn_lrp/linearise.h"
#include "gnnx/core/target.h"
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::explain::gnn_lrp_detail {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// The key a walk is ranked by under `order` (larger first).
inline double order_key(double r, WalkOrder order) {
  switch (order) {
    case WalkOrder::kAbsolute: return std::abs(r);
    case WalkOrder::kPositive: return r;
    case WalkOrder::kNegative: return -r;
  }
  return r;
}
/// order_key for every walk: r [W] → [W].
at::Tensor order_key(const at::Tensor& r, WalkOrder order);

/// The model as a GNNClassifier (whose head and layer weights GNN-LRP reads); throws gnnx::Error
/// for other models.
nn::GNNClassifierImpl* classifier_of(nn::GNNModel& model);

/// Everything GNN-LRP needs about one (model, graph, target): the rule-modified forward's
/// per-layer linear maps, the head's gradients and the first-order backward. Layer l (1-based)
/// sits at index l - 1; tensors are double unless stated.
struct Prepared {
  Target target;                   ///< label resolved
  int64_t L = 0;                   ///< layers
  int64_t N = 0;                   ///< nodes
  std::vector<LayerMaps> maps;     ///< per layer: the per-node matrices M_i (and R_i)
  std::vector<Transitions> trans;  ///< per layer: the aggregation coefficients
  std::vector<at::Tensor> g;       ///< per layer: [N, H_l] ∂f/∂h^(l) through the head only
  at::Tensor x;                    ///< [N, F]
  at::Tensor input_grad;           ///< [N, F] model dtype: ∂f/∂x through the modified model
  double output = 0;               ///< the explained logit f
};

/// Number of walks into the target (node task) or into any node (graph task), by dynamic
/// programming over the transitions.
double count_walks_prepared(const Prepared& P, bool graph_task);

/// The rule-modified model on one graph. Validates the rules, the graph and the model's layers.
class Engine {
 public:
  Engine(nn::GNNClassifierImpl* model, const GNNLRPOptions& options, const Graph& graph);

  int64_t L() const { return static_cast<int64_t>(layers_.size()); }
  bool graph_task() const { return model_->options.task() == nn::Task::kGraph; }
  const Graph& graph() const { return graph_; }

  /// Mask of the output of layer l (1-based) before it feeds on.
  using LayerMask = std::function<at::Tensor(int64_t, const at::Tensor&)>;
  /// The whole modified forward from x (carrying the autograd graph): h^(1) .. h^(L). Fills
  /// *maps when maps is not null; mask, when given, restricts each layer's output.
  std::vector<at::Tensor> forward(const at::Tensor& x, std::vector<LayerMaps>* maps, const LayerMask& mask = {}) const;
  /// What the head reads: h^(1) .. h^(L) concatenated (concat head) or h^(L).
  at::Tensor representation(const std::vector<at::Tensor>& hs) const;
  /// The rule-modified head on the node representation: [rows, C] (rows = N, or 1 graph).
  at::Tensor head(const at::Tensor& rep) const;
  /// The head's row of a target: the node (node task) or 0 (graph task).
  int64_t row_of(const Target& t) const { return graph_task() ? 0 : t.index; }

  /// The target validated, its label resolved from `logits` (the predicted class when -1).
  Target resolve(const Target& target, const at::Tensor& logits) const;
  /// resolve after a forward without gradients.
  Target resolve_only(const Target& target) const;
  /// One modified forward and one backward for `target` (see Prepared).
  Prepared prepare(const Target& target) const;

 private:
  nn::GNNClassifierImpl* model_;
  RuleTransform layer_rule_, head_rule_;
  Graph graph_;
  std::vector<std::unique_ptr<LrpLayer>> layers_;
  at::Tensor head_w_, head_b_;
};

}  // namespace gnnx::explain::gnn_lrp_detail
