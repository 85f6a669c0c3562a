#pragma once
/// GNN-LRP: the GNNLRP class and its options, and the method's definitions.
///
/// First-order LRP and relevant walks for GNN predictions (Schnake et al., "Higher-order
/// explanations of graph neural networks via relevant walks", TPAMI 2022), with exact all-walk
/// enumeration by batched relevance propagation and exact top-K walk search by
/// branch-and-bound over layer transitions (in the spirit of Xiong et al., ICML 2023,
/// "Relevant walk search for explaining graph neural networks").
///
/// Definitions
/// -----------
/// The model is a gnnx::nn::GNNClassifier with L GCN, GIN or GraphConv layers (sum or mean
/// aggregation), explained in eval mode (no dropout). Each layer and the head are replaced by
/// their LRP-modified forward (gnnx/attribution/lrp_rules.h: value unchanged, gradient = the
/// rule), so the explained logit f decomposes along the linear maps
///     h^(l)_i ← Σ_j J_l[i, j] h^(l-1)_j,   J_l[i, j] = Σ_t coef^t_l[i, j] · M^t_l[i]
/// with coef the layer's aggregation coefficients (GCN: normalised Â_ij incl. the self loop;
/// GIN: edge weights and 1 + ε on the diagonal; GraphConv: edge weights (÷ in-degree for mean)
/// for W_rel and 1 on the diagonal for W_root) and M_l[i] = diag(a/stab(p)) W' the rule's
/// per-node matrix (for GIN the product through its MLP).
///
/// A walk W = (v_0, v_1, …, v_L) is a node sequence in which v_l receives a message from v_{l-1}
/// in layer l (an edge v_{l-1} → v_l, or the self term v_{l-1} = v_l that every supported
/// layer has). Its relevance is the paper's: the LRP relevance of f restricted, at every layer
/// l, to node v_l (DIG's and the authors' "pick a path" masking):
///     R_W = x_{v_0} · J_1[v_1, v_0]ᵀ ⋯ J_L[v_L, v_{L-1}]ᵀ g_L[v_L]  (+ head terms, below)
/// where g_l[i] = ∂f/∂h^(l)_i through the (modified) head only.
///
/// Concatenation head (GNNClassifierOptions::concat, the default): the head also reads
/// h^(l) for l < L, so the head block of layer l is a walk of length l, (v_0, …, v_l), that
/// ends at the output node. gnnx records it as the length-L walk padded with the output node,
/// (v_0, …, v_l, v_l, …, v_l), i.e. the walk that stays at the output node through the
/// self terms of the remaining layers, and adds its relevance to that walk's:
///     R_W += Σ_{l < L : v_l = v_{l+1} = … = v_L}  x_{v_0} · J_1ᵀ ⋯ J_l[v_l, v_{l-1}]ᵀ g_l[v_l].
/// (The plain masking of DIG would count the block-l term once for every continuation
/// v_{l+1..L}, breaking conservation; the padding counts it once.) Every walk thus has L+1
/// nodes and Σ_W R_W = Σ_{i,f} x_if ∂f/∂x_if (the first-order LRP total).
///
/// Node task: walks end at the target node (v_L = target). Graph task: walks end at any node;
/// the readout (max: the winning node per feature; mean/sum: linear) is part of g_l.
///
/// Conservation: with the ε rule at ε = 0 everywhere (γ = 0) and zero biases,
/// Σ_W R_W = f exactly; otherwise `residual` = f − Σ_W R_W (biases and stabilisers absorb it).
///
/// Aggregations: node relevance R_v = Σ_{W : v_0 = v} R_W (equal to first-order LRP's node
/// relevance); edge relevance R_e = Σ_W R_W · (number of times W steps along e), as DIG's
/// explain_edges_with_loop; self terms are not edges (an input self loop (i, i) is folded into
/// the self term and gets no relevance). Parallel edges j → i each get the full count.

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "gnnx/attribution/lrp_rules.h"
#include "gnnx/core/arg.h"
#include "gnnx/core/target.h"
#include "gnnx/explain/gnn_lrp/walk_explanation.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::explain {

struct GNNLRPOptions {
  /// Rule for every message-passing layer (and the MLP inside GIN): ε or γ. Default γ = 0.25,
  /// stabiliser 1e-6 (Zennit's Gamma defaults).
  GNNX_ARG(attribution::LrpRule, layer_rule) = attribution::LrpRule::gamma_rule(0.25, 1e-6);
  /// Rule for the head Linear: ε or γ. Default ε = 1e-6.
  GNNX_ARG(attribution::LrpRule, head_rule) = attribution::LrpRule::eps(1e-6);
  /// Ranking of walks. Default by |R_W|.
  GNNX_ARG(WalkOrder, order) = WalkOrder::kAbsolute;
  /// all_walks refuses (gnnx::Error) when the graph has more walks than this. Default 5e7.
  GNNX_ARG(int64_t, max_walks) = 50'000'000;
  /// all_walks expands at most this many walk suffixes per batched step, bounding its working
  /// memory (~ chunk × max in-degree × width floats). Default 65536.
  GNNX_ARG(int64_t, chunk) = 65536;
  /// top_walks gives up (gnnx::Error) after this many search-tree expansions. Default 5e8.
  GNNX_ARG(int64_t, max_expansions) = 500'000'000;
  /// top_walks meets in the middle: all walk prefixes (v_0 .. v_m) of the deepest m < L whose
  /// number stays within this budget are tabulated (m+1 ids and a width-H vector each), and the
  /// depth-first search from the output stops at layer m, scoring a suffix against its node's
  /// prefixes with dot products. 0 disables the tables. Default 500000.
  GNNX_ARG(int64_t, prefix_budget) = 500'000;
};

/// GNN-LRP on one model. Throws gnnx::Error for models other than GNNClassifier, layer types
/// other than GCN/GIN/GraphConv (or GraphConv with max aggregation), rules other than ε/γ, bad
/// targets (node id out of range, graph target on a node model and vice versa, label out of
/// range) and graphs that do not fit the model.
class GNNLRP {
 public:
  explicit GNNLRP(nn::GNNModel& model, GNNLRPOptions options = {});

  /// First-order LRP (one modified forward, one backward).
  LrpRelevance first_order(const Graph& graph, const Target& target) const;
  /// Every walk and its relevance, without a backward pass per walk: relevance vectors of walk
  /// suffixes are propagated from the output towards the input layer by layer with batched
  /// tensor ops (in chunks of options.chunk suffixes). Throws when the graph has more than
  /// options.max_walks walks.
  WalkExplanation all_walks(const Graph& graph, const Target& target) const;
  /// The k highest-ranked walks (options.order), exact, without enumerating all walks:
  /// depth-first branch-and-bound from the output node over layer transitions, pruning a
  /// suffix when a max-product bound on |R| of all its completions (per-coordinate maxima of
  /// the forward messages, computed by dynamic programming over the layers) cannot beat the
  /// k-th best walk found; below the meet layer m the surviving suffixes are scored against
  /// tabulated prefixes (options.prefix_budget). Memory O(prefix_budget · width + L · max
  /// degree · width + k). Throws for k <= 0.
  WalkExplanation top_walks(const Graph& graph, const Target& target, int64_t k) const;
  /// Edge relevance aggregated over ALL walks ([E] float64, as WalkExplanation::edge_relevance
  /// of all_walks) in one forward and one backward sweep: R_e = Σ_l P_{l-1}[j] · J_l[i,j]ᵀ B_l[i]
  /// with P the linearised forward messages and B the backward ones. Needs no enumeration.
  at::Tensor edge_relevance(const Graph& graph, const Target& target) const;

  /// Reference (slow; for tests and benchmarks): DIG's method, one modified forward and one
  /// backward pass per walk, masking every layer's output to the walk's node. walks: [W, L+1]
  /// int64. Returns [W] float64.
  at::Tensor naive_walk_relevance(const Graph& graph, const Target& target, const at::Tensor& walks) const;

  /// The target with its label resolved (the predicted class when label = -1), validated.
  Target resolve(const Graph& graph, const Target& target) const;
  /// Number of walks (as all_walks would return), counted by dynamic programming.
  double count_walks(const Graph& graph, const Target& target) const;

  const GNNLRPOptions& options() const { return options_; }

 private:
  nn::GNNClassifierImpl* model_;
  GNNLRPOptions options_;
};

}  // namespace gnnx::explain
