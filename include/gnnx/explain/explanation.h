#pragma once
/// The one result type of every graph explainer (GNNExplainer, GRAD, ATT, the gradient and
/// perturbation attributions, GNN-LRP), which metrics, pictures and the CLI take.
///
/// Masks are indexed by the *full* graph's ids, whatever subgraph the method worked on; entries
/// outside the computation subgraph are 0. Larger means more important.

#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/core/target.h"
#include "gnnx/graph/graph.h"

namespace gnnx::explain {

struct Explanation {
  std::string method;       ///< e.g. "gnnexplainer", "saliency"
  Target target;            ///< what was explained (label resolved: never -1 once explained)
  at::Tensor edge_mask;     ///< [E] float, full-graph edge ids; undefined if the method scores no edges
  at::Tensor node_mask;     ///< [N] float node importance; undefined if none
  at::Tensor feature_mask;  ///< [F] or [N, F] float; undefined if none
  at::Tensor edge_ids;      ///< [e] int64: the edges the method could score (the computation subgraph's)
  at::Tensor node_ids;      ///< [n] int64: the nodes of the computation subgraph
  /// [C] float on the CPU: the model's logits for the target on the whole graph, i.e. the
  /// prediction explained (the explainers check that the computation subgraph reproduces them);
  /// undefined where a method does not report them.
  at::Tensor logits;
  std::map<std::string, double> diagnostics;  ///< e.g. {"final_loss", ...}, {"delta", ...}

  /// Ids of the k highest-scoring edges among edge_ids (ties broken by lower id), descending.
  at::Tensor top_edges(int64_t k) const;
  /// Ids of the edges among edge_ids whose score is >= threshold.
  at::Tensor edges_above(double threshold) const;
  /// The explanation subgraph: of the edges `selected` (full ids, e.g. top_edges(6)), those in
  /// the weakly connected component (Boost.Graph) that contains the target node.
  at::Tensor connected_to_target(const Graph& graph, const at::Tensor& selected) const;
};

}  // namespace gnnx::explain
