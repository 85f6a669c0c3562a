#pragma once
// GNN-LRP's linearisation (private): the rule, the rule-modified layers and the per-layer linear maps J_l they expose.
//
// A layer l, run forward with the rule, is recorded as the linear map of gnn_lrp.h's definitions,
//     h^(l)_i ← Σ_j J_l[i, j] h^(l-1)_j,   J_l[i, j] = ca_ij M_i + cb_ij R_i,
// with the aggregation coefficients (ca, cb) of its Transitions and the per-node matrices
// M_i = diag(r_K) W'_K ⋯ diag(r_1) W'_1 and R_i = diag(r_1) W'_root of its LayerMaps
// (r = act(z) / stab(p) the rule's ratio, W' the rule-transformed weights).

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/attribution/lrp_rules.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::explain::gnn_lrp_detail {

/// The LRP rule of a layer as GNN-LRP applies it: W → W + γW⁺, b → b + γb⁺ and the stabiliser ε.
/// GNN-LRP accepts the ε and γ rules only (a walk decomposition needs a rule that is one
/// parameter transform), and the ε rule is the γ rule at γ = 0 (gamma_transform(w, 0) returns w),
/// so the two numbers are the whole rule.
class RuleTransform {
 public:
  /// Validates `rule` (ε or γ, valid parameters); `which` ("layer", "head") names it in errors.
  static RuleTransform from(const attribution::LrpRule& rule, const char* which);

  at::Tensor weight(const at::Tensor& w) const { return attribution::gamma_transform(w, gamma_); }
  /// An undefined bias stays undefined.
  at::Tensor bias(const at::Tensor& b) const { return b.defined() ? attribution::gamma_transform(b, gamma_) : b; }
  double epsilon() const { return epsilon_; }
  /// The γ rule with γ > 0 needs non-negative aggregation coefficients (Engine::prepare checks).
  bool needs_nonnegative_coefficients() const { return gamma_ != 0; }

 private:
  RuleTransform(double gamma, double epsilon) : gamma_(gamma), epsilon_(epsilon) {}
  double gamma_;
  double epsilon_;
};

/// One affine step y = act(W x + b) inside a layer's per-node map, as the rule sees it:
/// ratio = act(z) / stab(p) per node and the transformed weight W'.
struct Step {
  at::Tensor ratio;   ///< [N, out]
  at::Tensor weight;  ///< [out, in]
};

/// The per-node matrices of one linearised layer: M_i on the main path (GCN, GIN; GraphConv's
/// W_rel) and, for GraphConv only, R_i = diag(r_1) W'_root on the root path.
struct LayerMaps {
  std::vector<Step> steps;  ///< in forward order; GraphConv: the one step holding W'_rel
  at::Tensor root_weight;   ///< [out, in] GraphConv's W'_root (zeros without a root weight); undefined: no root path

  bool has_root() const { return root_weight.defined(); }
  /// Backward through the maps of `nodes` [S]: c [S, out] → (M_iᵀ c, R_iᵀ c) [S, in] each; the
  /// second is undefined without a root path.
  std::pair<at::Tensor, at::Tensor> backward(const at::Tensor& c, const at::Tensor& nodes) const;
  /// Forward of aggregated messages into nodes i: M_i main + R_i root, [S, in] → [S, out]. `root`
  /// is read only with a root path; `nodes` [S] selects the rows i (undefined: all N nodes, in order).
  at::Tensor forward(const at::Tensor& main, const at::Tensor& root, const at::Tensor& nodes) const;
};

/// A layer's aggregation as coefficients: messages src[e] → dst[e] weighted main[e] (the main /
/// W_rel matrix), and root_self[i] [N] the weight of node i's own W_root term (GraphConv: 1).
struct Coefficients {
  at::Tensor src, dst;   ///< int64 [T]
  at::Tensor main;       ///< double [T]
  at::Tensor root_self;  ///< double [N]
};

/// Transitions of one layer grouped by target: slots ptr[i] .. ptr[i+1] of target i hold the
/// sources src[s] with aggregation coefficient ca[s] (main / W_rel matrix) and cb[s] (W_root,
/// GraphConv's self slot only). Every node has a self slot (i, i); slots are sorted by (dst, src).
struct Transitions {
  at::Tensor ptr, src, dst, ca, cb;  ///< int64 [N+1], int64 [T] x2, double [T] x2
};

/// Groups a layer's coefficients into transitions with one self slot per node, so that the
/// padded walks of a concatenation head always exist; parallel messages j → i are summed.
Transitions build_transitions(const Coefficients& c, int64_t num_nodes);

/// A message-passing layer and its rule-modified twin. One implementation per supported layer
/// type (GCNConv, GINConv, GraphConv); make_lrp_layer picks it.
class LrpLayer {
 public:
  virtual ~LrpLayer() = default;
  /// The rule-modified forward: value act(layer(h)) (the model's own), gradient the rule's.
  /// Fills *maps with the layer's per-node matrices when maps is not null.
  virtual at::Tensor forward(const at::Tensor& h, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                             double epsilon, LayerMaps* maps) const = 0;
  /// The layer's aggregation coefficients on `graph`.
  virtual Coefficients coefficients(const Graph& graph) const = 0;

 protected:
  LrpLayer(bool act, bool normalize) : act_(act), normalize_(normalize) {}
  /// What the classifier does after the layer: L2-normalise (normalize_embedding), then ReLU.
  at::Tensor finish(const at::Tensor& z) const;

 private:
  bool act_;        // the classifier's ReLU follows
  bool normalize_;  // the classifier L2-normalises the layer's output (before the ReLU)
};

/// The rule-modified twin of layer `index` of a GNNClassifier. act: a ReLU follows; normalize:
/// the classifier L2-normalises the output. Throws gnnx::Error for unsupported layers (types
/// other than GCN/GIN/GraphConv, GraphConv with max aggregation, GIN MLPs with other modules).
std::unique_ptr<LrpLayer> make_lrp_layer(const std::shared_ptr<nn::MessagePassing>& layer, bool act, bool normalize,
                                         const RuleTransform& rule, int64_t index);

}  // namespace gnnx::explain::gnn_lrp_detail
