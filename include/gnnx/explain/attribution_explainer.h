#pragma once
/// Attributions as graph explanations: the gradient and perturbation baselines of GNN
/// explanation, behind the Explainer interface (registered as "saliency", "gradxinput", "ig",
/// "smoothgrad", "occlusion").
///
/// For each target the explainer attributes
///   - the edges, through an all-ones edge mask (GraphInput::kEdges): edge_mask[e] = |a_e|;
///   - the node features (GraphInput::kNodeFeatures): node_mask[i] = Σ_f |a_if| and
///     feature_mask [N, F] = a (signed).
/// For occlusion the edge attributor occludes one edge at a time (window {1}, baseline 0: the
/// edge deleted) and the feature attributor one node's feature row at a time (window {1, F}).
/// When both attributors are the same plain gradient method (Saliency or GradientXInput, same
/// options), a node target's two gradients come from one forward and one backward pass, the
/// features evaluated under the all-ones edge mask, over the edges that can reach the target's
/// output (into nodes fewer than model.trimmed_hops() hops away, when that is > 0); every other
/// edge's gradient is exactly 0.
///
/// A node target is explained on its model.receptive_field()-hop subgraph (the whole graph when
/// that is -1), on which its prediction is exactly the full graph's (a GCN stack reads L + 1
/// hops: the degrees of the nodes at distance L). Masks are reported on full-graph ids,
/// restricted to the L-hop subgraph (L = model.num_hops(); edge_ids / node_ids), 0 elsewhere;
/// explain_compact gives the same masks on the L-hop subgraph's rows only.

#include <memory>
#include <string>
#include <vector>

#include "gnnx/attribution/attributor.h"
#include "gnnx/explain/explainer.h"

namespace gnnx::explain {

/// The Explanation of item `item` of an attribution over graph g (full graph) or over a
/// subgraph of it (node_ids [n] / edge_ids [e]: the full ids of the subgraph's nodes and edges;
/// undefined when a was computed on g itself). edges: an attribution with GraphInput::kEdges
/// (or an empty Attribution); features: one with GraphInput::kNodeFeatures (or empty). At least
/// one must be given.
Explanation to_explanation(const Graph& g, const attribution::Attribution& edges,
                           const attribution::Attribution& features, int64_t item, const at::Tensor& node_ids = {},
                           const at::Tensor& edge_ids = {});

/// An Explainer running an edge attributor and a node-feature attributor per target.
class AttributionExplainer : public Explainer {
 public:
  /// Either attributor may be null (then that mask is left undefined), not both.
  AttributionExplainer(std::string name, std::shared_ptr<attribution::Attributor> edge_attributor,
                       std::shared_ptr<attribution::Attributor> feature_attributor);
  std::string name() const override { return name_; }
  std::vector<Explanation> explain(nn::GNNModel& model, const Graph& graph,
                                   const std::vector<Target>& targets) override;
  std::vector<Explanation> explain_compact(nn::GNNModel& model, const Graph& graph,
                                           const std::vector<Target>& targets) override;
  /// A batch holds each target's subgraph (cut at once: edge_index and ids, 24 bytes per edge,
  /// ids and feature rows per node) and its compact masks; the gradient passes run one target per
  /// thread and are not charged to the batch: 64 bytes per edge and 32 + 8 F per node.
  int64_t compact_target_cost(int64_t nodes, int64_t edges, int64_t num_features) const override;

 private:
  std::vector<Explanation> run(nn::GNNModel& model, const Graph& graph, const std::vector<Target>& targets,
                               bool compact);

  std::string name_;
  std::shared_ptr<attribution::Attributor> edges_, features_;
  bool joint_ = false;  // both gradients in one pass (see the file comment)
};

/// The explainer registered as `name` ("saliency", "gradxinput", "ig", "smoothgrad",
/// "occlusion") with default options; seed drives SmoothGrad's noise. For occlusion the
/// feature window is set per graph ({1, F}).
std::unique_ptr<Explainer> make_attribution_explainer(const std::string& name, uint64_t seed = 0);

}  // namespace gnnx::explain
