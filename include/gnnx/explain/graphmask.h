#pragma once
/// GraphMask (Schlichtkrull, De Cao and Titov, ICLR 2021, "Interpreting Graph Neural Networks
/// for NLP With Differentiable Edge Masking"): for every message-passing layer k a small network
/// decides, from what the layer received, whether each edge's message is needed; a message it
/// drops is replaced by a learned baseline message b_k rather than by zero, so that dropping
/// does not push the model off the inputs it was trained on. The gate networks are trained once
/// over many instances (amortised), then explain any node or graph by one ungated forward.
///
/// Layer k, edge (j -> i), with s_j and t_i the features layer k builds messages from and
/// updates (gnnx::nn::LayerInput, read on the model's ungated forward and standardised):
///
///   logit_e = w₂ᵀ ReLU(A_k s_j + B_k t_i + b₁) + b₂                         hidden() units
///   z_e     = min(1, max(0, σ((log u − log(1 − u) + logit_e) / β) (ζ − γ) + γ)),  u ~ U(0, 1)
///   m̃_e    = z_e m_e + (1 − z_e) b_k                                         (MessageGateScope)
///
/// the hard concrete distribution (Louizos et al. 2018; β = 1/3, γ = −0.2, ζ = 1.2, the paper's),
/// which puts mass on exactly 0 and 1. Training minimises, with a Lagrange multiplier λ ≥ 0
/// raised by gradient ascent while the constraint is violated,
///
///   Σ_k mean_e P(z_e ≠ 0) + λ (D − allowance),   P(z_e ≠ 0) = σ(logit_e − β log(−γ / ζ))
///
/// with D the mean over the batch's instances of KL(p(G) ‖ p(G̃)) between the model's class
/// probabilities on the whole graph and on the gated one (phenomenon: the rise in cross-entropy
/// to the true label). With layerwise() the layers are switched on from the last down, epochs()
/// epochs each, the paper's schedule; otherwise all at once for epochs() epochs.
///
/// An explanation's edge_mask is the mean over layers of σ(logit_e) (the noise-free gate before
/// stretching and clipping: the gate z is a monotone function of it, and it breaks the ties of
/// the many gates clipped to exactly 0 or 1); layer_gates() returns the clipped gates themselves.
/// Diagnostics: "divergence" (D of the instance with every layer's clipped gates and baselines),
/// "kept" (fraction of gates above 0, over layers and edges), "lambda", train and explain seconds.
///
/// Differences from PyTorch Geometric's GraphMaskExplainer (torch_geometric 2.8), which this class
/// does not reproduce on purpose: PyG replaces every message of the explained model by
/// ReLU(LayerNorm(m)) while it explains (the model explained is then not the user's), draws its
/// baselines and gate biases as 0-dimensional tensors, re-creates λ at every step (so the
/// constraint never accumulates), and trains anew for each explained index. docs/methods/graphmask.md.
///
/// Models: any gnnx::nn::GNNModel whose message passing runs through gnnx::nn::MessagePassing
/// (every built-in and imported PyG model); a TorchScript model exposes edge weights only, and
/// gives gnnx::Error. A node is explained on its computation subgraph, as in GNNExplainer, so the
/// prediction explained is the model's on the whole graph.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gnnx/core/arg.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/gnn_explainer.h"

namespace gnnx::explain {

struct GraphMaskOptions {
  /// Epochs over the training instances, per layer when layerwise. Default 20.
  GNNX_ARG(int64_t, epochs) = 20;
  /// Adam learning rate of the gate networks and baselines. Default 0.01 (PyG's).
  GNNX_ARG(double, lr) = 0.01;
  /// Hidden width of each layer's gate network. Default 32.
  GNNX_ARG(int64_t, hidden) = 32;
  /// The divergence tolerated, in nats. Default 0.03 (PyG's).
  GNNX_ARG(double, allowance) = 0.03;
  /// λ at the start of training. Default 1.
  GNNX_ARG(double, init_lambda) = 1.0;
  /// Gradient-ascent step of λ per batch: λ ← max(0, λ + lambda_lr (D − allowance)). Default 0.1.
  GNNX_ARG(double, lambda_lr) = 0.1;
  /// Switch layers on from the last one down (the paper's schedule). Default true.
  GNNX_ARG(bool, layerwise) = true;
  /// Instances per Adam step (one disjoint union). Default 16.
  GNNX_ARG(int64_t, batch_size) = 16;
  /// Keep the model's prediction (model) or the true label (phenomenon). Default model.
  GNNX_ARG(ExplanationType, explanation_type) = ExplanationType::kModel;
  /// Seed of the gate networks' initial weights, the baselines and the hard-concrete noise. Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
};

/// What a training run did.
struct GraphMaskTrainReport {
  std::vector<double> epoch_loss;        ///< mean loss over the training instances, per epoch
  std::vector<double> epoch_divergence;  ///< mean D over the training instances, per epoch
  std::vector<double> epoch_kept;        ///< mean P(z ≠ 0) over the enabled layers' gates, per epoch
  double lambda = 0;                     ///< λ at the end
  int64_t instances = 0, steps = 0;
  double seconds = 0;
};

class GraphMaskExplainer : public Explainer {
 public:
  explicit GraphMaskExplainer(GraphMaskOptions options = {});
  ~GraphMaskExplainer() override;
  std::string name() const override { return "graphmask"; }

  /// Node classifier: trains new gate networks on the Target::node targets of graph. Graph
  /// classifier: `targets` must be {Target::graph(0)}; use fit_graphs for many. Throws
  /// gnnx::Error for bad options, an empty list, ids out of range, or a model whose layers cannot
  /// be gated.
  GraphMaskTrainReport fit(nn::GNNModel& model, const Graph& graph, const std::vector<Target>& targets);
  /// Graph classifier: trains on every graph of `graphs`; labels as in explain_graphs.
  GraphMaskTrainReport fit_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                  const std::vector<int64_t>& labels = {});
  bool trained() const;
  /// Forgets the trained gates: the next explain trains again.
  void reset();

  /// Explains each target with the trained gates; an untrained explainer first trains on the
  /// targets themselves. The gates must have been trained on a model with the same layer widths.
  std::vector<Explanation> explain(nn::GNNModel& model, const Graph& graph,
                                   const std::vector<Target>& targets) override;
  std::vector<Explanation> explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                          const std::vector<int64_t>& labels = {}) override;

  /// Per layer, the clipped noise-free gate of each edge of explanation `e`'s computation
  /// subgraph ([e.edge_ids.size(0)] each, in the order of e.edge_ids): 0 drops the message, 1
  /// keeps it. `graph` is the graph e was explained on (one of `graphs` for graph tasks).
  std::vector<at::Tensor> layer_gates(nn::GNNModel& model, const Graph& graph, const Explanation& e) const;

  GraphMaskOptions options;
  struct State;  ///< the trained gate networks (opaque)

 private:
  std::unique_ptr<State> state_;
};

}  // namespace gnnx::explain
