#pragma once
/// SubgraphX (Yuan et al., ICML 2021, "On Explainability of Graph Neural Networks via Subgraph
/// Explorations"; DIG's `dig.xgraph.method.SubgraphX`): the explanation is one connected
/// subgraph, found by Monte-Carlo tree search over connected subgraphs and scored by a sampled
/// Shapley value of the subgraph as one player.
///
/// Search (per instance: a node's computation subgraph, cut at model.receptive_field() hops so
/// the prediction explained is the model's on the whole graph, or one whole graph). A tree node is
/// a coalition of nodes; the root is every node. Expanding a coalition C (|C| > min_atoms()):
/// its nodes sorted by degree in the subgraph C induces (ascending; descending with high2low(),
/// ties by id), the first expand_atoms() of them other than the target node are pruned one at a
/// time, and each prune keeps one connected component of what is left (the one holding the
/// target node; for graph tasks the largest, ties to the lowest id), which becomes a child. Equal
/// coalitions reached by different paths are one tree node. A rollout descends from the root,
/// expanding as it goes, choosing the child that maximises
///
///   Q + U,   Q = W / N,   U = c_puct · P · √(Σ_siblings N) / (1 + N)
///
/// (first child on ties) until a coalition of at most min_atoms() nodes, whose score P is then
/// added to W (and 1 to N) of every tree node on the path below the root. After rollout()
/// rollouts, the explanation is the explored coalition of at most max_nodes() nodes with the
/// highest P (the smallest explored coalition when none is that small; ties to the smaller).
///
/// Score P of a coalition S (reward(); v(m) = the model's softmax probability of the explained
/// class on the instance with node mask m, built by subgraph_building(): zero_filling multiplies
/// the features by m, split keeps the edges whose two ends have m = 1):
///   mc_l_shapley (default)  players: the nodes within local_radius() − 1 hops of S (along edge
///                           direction), not in S; each of sample_num() draws takes a random
///                           permutation of the players and S as one more player, and the
///                           players before S form the coalition R:
///                           P = mean [v(1 outside the region, R, S) − v(1 outside, R)]
///   nc_mc_l_shapley         the same, with the target node kept in R every time (node tasks)
///   mc_shapley              players: every node not in S, nodes outside R and S masked out
///   gnn_score               P = v(S): deterministic, the whole search is
/// These are DIG's definitions (dig/xgraph/method/shapley.py); DIG's SubgraphX uses mc_l_shapley
/// for node tasks as well. The 2 · sample_num() masked copies of every child of an expansion run
/// as one disjoint union, in one forward pass (split into several when a forward would exceed
/// max_batch_nodes() nodes), and the instances of one call run in parallel on TBB's threads.
///
/// The explanation: node_mask and edge_mask are 1 on the chosen coalition's nodes and on the
/// edges between them (full-graph ids), 0 elsewhere; diagnostics hold "shapley" (its P), "masked"
/// (v of the coalition alone), "maskout" (v without it; the target node kept for node tasks),
/// "sparsity" (1 − coalition / subgraph nodes), "coalition_nodes", "subgraph_nodes", "states"
/// (coalitions scored) and "forwards" (forward passes run).

#include <cstdint>
#include <string>
#include <vector>

#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/gnn_explainer.h"

namespace gnnx::explain {

/// How a coalition is scored.
enum class SubgraphReward { kMcLShapley, kNcMcLShapley, kMcShapley, kGnnScore };
GNNX_ENUM_NAMES(SubgraphReward, "SubgraphX reward", {SubgraphReward::kMcLShapley, "mc_l_shapley"},
                {SubgraphReward::kNcMcLShapley, "nc_mc_l_shapley"}, {SubgraphReward::kMcShapley, "mc_shapley"},
                {SubgraphReward::kGnnScore, "gnn_score"});

/// How a node mask removes the nodes outside a coalition.
enum class SubgraphBuilding { kZeroFilling, kSplit };
GNNX_ENUM_NAMES(SubgraphBuilding, "SubgraphX subgraph building", {SubgraphBuilding::kZeroFilling, "zero_filling"},
                {SubgraphBuilding::kSplit, "split"});

struct SubgraphXOptions {
  /// Rollouts of the tree search. Default 20 (DIG's).
  GNNX_ARG(int64_t, rollout) = 20;
  /// Coalitions of at most this many nodes are leaves. Default 5 (DIG's).
  GNNX_ARG(int64_t, min_atoms) = 5;
  /// Exploration constant of the selection rule. Default 10 (DIG's).
  GNNX_ARG(double, c_puct) = 10.0;
  /// Children tried per expansion (nodes pruned). Default 14 (DIG's).
  GNNX_ARG(int64_t, expand_atoms) = 14;
  /// Prune high-degree nodes first. Default false (DIG's).
  GNNX_ARG(bool, high2low) = false;
  /// Hops that define the players of the l-Shapley rewards (local_radius − 1 hops around the
  /// coalition). Default 4 (DIG's).
  GNNX_ARG(int64_t, local_radius) = 4;
  /// Monte-Carlo draws per Shapley value. Default 100 (DIG's).
  GNNX_ARG(int64_t, sample_num) = 100;
  /// The score of a coalition. Default mc_l_shapley (DIG's).
  GNNX_ARG(SubgraphReward, reward) = SubgraphReward::kMcLShapley;
  /// How nodes outside a coalition are removed. Default zero_filling (DIG's).
  GNNX_ARG(SubgraphBuilding, subgraph_building) = SubgraphBuilding::kZeroFilling;
  /// Largest explanation, in nodes. Default 5 (DIG's examples: BA-Shapes' houses).
  GNNX_ARG(int64_t, max_nodes) = 5;
  /// Largest disjoint union (in nodes) run in one forward pass. Default 2^21.
  GNNX_ARG(int64_t, max_batch_nodes) = int64_t{1} << 21;
  /// Explain the model's prediction (model) or the true label (phenomenon). Default model.
  GNNX_ARG(ExplanationType, explanation_type) = ExplanationType::kModel;
  /// Seed of the Monte-Carlo draws (each instance draws from its own stream, so the result does
  /// not depend on the thread count). Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
};

class SubgraphX : public Explainer {
 public:
  explicit SubgraphX(SubgraphXOptions options = {}) : options(std::move(options)) {}
  std::string name() const override { return "subgraphx"; }
  /// Throws gnnx::Error for bad options, an empty target list, ids out of range, or a model
  /// whose task or input width does not fit the graph.
  std::vector<Explanation> explain(nn::GNNModel& model, const Graph& graph,
                                   const std::vector<Target>& targets) override;
  std::vector<Explanation> explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                          const std::vector<int64_t>& labels = {}) override;

  SubgraphXOptions options;
};

}  // namespace gnnx::explain
