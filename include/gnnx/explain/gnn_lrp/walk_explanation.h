#pragma once
/// GNN-LRP's results: relevant walks (WalkExplanation, ranked by a WalkOrder) and first-order LRP (LrpRelevance).

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "gnnx/core/enum_names.h"
#include "gnnx/core/target.h"
#include "gnnx/explain/explanation.h"
#include "gnnx/graph/graph.h"

namespace gnnx::explain {

/// How walks are ranked by top_walks and sorted in a WalkExplanation.
enum class WalkOrder {
  kAbsolute,  ///< by |R_W|, descending (the strongest evidence either way)
  kPositive,  ///< by R_W, descending (evidence for the class)
  kNegative,  ///< by R_W, ascending (evidence against)
};
GNNX_ENUM_NAMES(WalkOrder, "walk order", {WalkOrder::kAbsolute, "abs"}, {WalkOrder::kPositive, "positive"},
                {WalkOrder::kNegative, "negative"});

/// First-order LRP of one output: relevance of every input feature of every node.
struct LrpRelevance {
  Target target;              ///< label resolved
  at::Tensor relevance;       ///< [N, F] x ⊙ ∂f/∂x through the LRP-modified model
  at::Tensor node_relevance;  ///< [N] row sums
  double output = 0;          ///< the explained logit f
  double sum_relevance = 0;   ///< Σ relevance
};

/// Walks with their relevance, sorted by the chosen order.
struct WalkExplanation {
  Target target;           ///< label resolved
  int64_t num_layers = 0;  ///< L (walks have L + 1 nodes)
  at::Tensor walks;        ///< [W, L+1] int64 CPU, v_0 (input side) first, v_L the output node
  at::Tensor relevance;    ///< [W] float64 CPU, aligned with walks
  int64_t num_walks = 0;   ///< number of walks of the model on this graph (all of them)
  bool complete = false;   ///< walks holds every walk (all_walks) or only the top K
  WalkOrder order = WalkOrder::kAbsolute;
  double output = 0;         ///< the explained logit f
  double sum_relevance = 0;  ///< Σ over ALL walks (= first-order LRP total, also for top-K)
  double residual = 0;       ///< output − sum_relevance
  double seconds = 0;        ///< wall time of the computation
  int64_t expansions = 0;    ///< search-tree expansions (top_walks) or suffixes (all_walks)
  int64_t walks_scored = 0;  ///< walks whose relevance was computed (the rest were pruned)
  int64_t meet_layer = 0;    ///< top_walks: the layer m where suffixes meet tabulated prefixes
  /// Bytes of working memory: top_walks' tables, search stack (at its deepest) and heap;
  /// all_walks' result tensors.
  int64_t memory_bytes = 0;

  int64_t size() const { return walks.defined() ? walks.size(0) : 0; }
  /// Node relevance from the walks held: [num_nodes] float64, R_v = Σ_{W: v_0 = v} R_W.
  at::Tensor node_relevance(int64_t num_nodes) const;
  /// Edge relevance from the walks held: [E] float64 over graph's edge ids, DIG's convention.
  at::Tensor edge_relevance(const Graph& graph) const;
  /// The shared result type: edge_mask = |edge_relevance| (float32), node_mask = |node_relevance|
  /// (masks rank importance; on BA-Shapes house edges carry large negative relevance),
  /// edge_ids / node_ids = the edges / nodes the walks touch; diagnostics output,
  /// sum_relevance, residual, num_walks, walks_held, seconds.
  Explanation to_explanation(const Graph& graph) const;
};

}  // namespace gnnx::explain
