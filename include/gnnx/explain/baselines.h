#pragma once
/// The two baselines of the GNNExplainer paper, under the Explainer interface.
///
/// GRAD: the magnitude of the gradient of the prediction loss CE(f(G ⊙ m), y) with respect to
/// the edge mask m at m = 1 (the unmasked graph), on the same computation subgraph as
/// GNNExplainer; many targets run as one disjoint union (chunks in parallel on CPU), which gives
/// each target its own gradient because the summed loss separates.
///
/// ATT: the attention coefficients of a GAT model (the layers model.attention() reports, e.g. a
/// GNNClassifier's GATConv layers), averaged over heads and layers, read off one forward of the
/// full graph; the coefficients of the self loops the layers add are dropped, so each input
/// edge (j -> i) scores the mean of α_ij. The mask of a node target is restricted to its
/// computation subgraph's edges (0 elsewhere). Throws gnnx::Error for a model that reports no
/// attention layers.

#include <cstdint>
#include <string>
#include <vector>

#include "gnnx/explain/explainer.h"

namespace gnnx::explain {

class GradExplainer : public Explainer {
 public:
  /// chunk_size: instances per union on CPU (0: split over the TBB threads, at most 100 per union).
  /// placement: where the all-ones mask whose gradient is taken enters the layers.
  explicit GradExplainer(int64_t chunk_size = 0, nn::MaskPlacement placement = nn::MaskPlacement::kMessage)
      : chunk_size_(chunk_size), placement_(placement) {}
  std::string name() const override { return "grad"; }
  std::vector<Explanation> explain(nn::GNNModel& model, const Graph& graph,
                                   const std::vector<Target>& targets) override;
  /// Graph classifier: one explanation per graph (Target::graph(i)).
  std::vector<Explanation> explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                          const std::vector<int64_t>& labels = {}) override;

 private:
  int64_t chunk_size_;
  nn::MaskPlacement placement_;
};

class AttentionExplainer : public Explainer {
 public:
  std::string name() const override { return "att"; }
  std::vector<Explanation> explain(nn::GNNModel& model, const Graph& graph,
                                   const std::vector<Target>& targets) override;
  std::vector<Explanation> explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                          const std::vector<int64_t>& labels = {}) override;
};

}  // namespace gnnx::explain
