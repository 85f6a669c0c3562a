#pragma once
/// PGExplainer (Luo et al., NeurIPS 2020, "Parameterized Explainer for Graph Neural Network"):
/// one MLP, trained once over many instances, maps each edge's embedding to a mask logit, so
/// that any node or graph is then explained by one forward pass instead of an optimisation.
///
/// Edge (u -> v) of an instance with target node t (node tasks) gets the logit
///
///   ω_uv = MLP([z_u, z_v, z_t])        (graph tasks: MLP([z_u, z_v]))
///   MLP(h) = W₂ ReLU(W₁ h + b₁) + b₂   hidden width hidden() (64, PyG's and the paper's)
///
/// where z is the model's node embedding on the whole graph (embedding(): the output of its last
/// message-passing layer, PyG's choice, or the concatenation of every layer's). W₁ is applied as
/// three blocks, W₁ = [A | B | C]: ZAᵀ, ZBᵀ and z_t Cᵀ are computed once per node and gathered per
/// edge, which is the same function at a fraction of the cost of building the [E, 3D] inputs.
///
/// Training, epoch e of epochs() (temperature τ_e = temp_start · (temp_end / temp_start)^(e / epochs),
/// annealed geometrically as in the paper's code and PyG's):
///
///   s_uv = (log ε − log(1 − ε) + ω_uv) / τ_e,  ε ~ U[bias, 1 − bias]   the binary concrete
///   m_uv = σ(s_uv)                                                         relaxation of a draw
///   loss = CE(f(G ⊙ m), y) + edge_size · Σ m + edge_ent · mean H(0.99 m + 0.005)
///
/// per instance (Σ and mean over the instance's edges; H the binary entropy), the mask m entering
/// every message-passing layer through gnnx::nn::EdgeMaskScope as mask_placement() says. Adam
/// (lr()) takes one step per batch of batch_size() instances on the mean of their losses; with
/// batch_size 1 that is PyG's loop (one step per train() call). The explanation of an instance
/// is σ(ω) with no noise; with symmetric_mask the two directions of an edge share the mean of
/// their masks, in training and explanation (the paper's code symmetrises its mask likewise).
///
/// A node is explained on its computation subgraph, cut at model.receptive_field() hops, so the
/// prediction explained (and kept by the loss) is the model's on the whole graph, as in
/// GNNExplainer; embeddings are read on the whole graph, as in PyG. Many instances form one
/// disjoint union per batch (explain/instances.h); explaining runs the MLP only, never the model
/// on the subgraphs.
///
/// Models: the embedding is read from gnnx::nn::GNNClassifier (every reference model and every
/// imported PyG model is one); other models give gnnx::Error. PyG reads the last conv's output
/// before its activation; GNNClassifier reports embeddings after it, which differ only for a
/// model with an activation after its last layer (act_last, PyG's jk "last" or "cat").

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/gnn_explainer.h"

namespace gnnx::explain {

/// Which node embedding the MLP reads.
enum class PGEmbedding {
  kLast,  ///< the last message-passing layer's output (PyG's)
  kAll,   ///< the concatenation of every layer's output (the paper's code, for its concatenating GCN)
};
GNNX_ENUM_NAMES(PGEmbedding, "PGExplainer embedding", {PGEmbedding::kLast, "last"}, {PGEmbedding::kAll, "all"});

struct PGExplainerOptions {
  /// Training epochs over the training instances. Default 30 (PyG's example and the paper's).
  GNNX_ARG(int64_t, epochs) = 30;
  /// Adam learning rate of the MLP. Default 0.003 (PyG's and the paper's).
  GNNX_ARG(double, lr) = 0.003;
  /// Coefficient of Σ m over an instance's edges. Default 0.05 (PyG's).
  GNNX_ARG(double, edge_size) = 0.05;
  /// Coefficient of the mean mask entropy. Default 1.0 (PyG's).
  GNNX_ARG(double, edge_ent) = 1.0;
  /// Temperature of the concrete relaxation at the first epoch. Default 5.0 (PyG's temp[0]).
  GNNX_ARG(double, temp_start) = 5.0;
  /// Temperature the schedule anneals towards (reached as e → epochs). Default 2.0 (PyG's temp[1]).
  GNNX_ARG(double, temp_end) = 2.0;
  /// The uniform noise ε is drawn from [bias, 1 − bias]. Default 0.01 (PyG's). In [0, 0.5).
  GNNX_ARG(double, bias) = 0.01;
  /// Hidden width of the MLP. Default 64 (PyG's and the paper's).
  GNNX_ARG(int64_t, hidden) = 64;
  /// Instances per Adam step (and per disjoint union). Default 1: PyG's loop, one step per instance.
  GNNX_ARG(int64_t, batch_size) = 1;
  /// The two directions of an edge share the mean of their masks. Default false (PyG's).
  GNNX_ARG(bool, symmetric_mask) = false;
  /// Which embedding the MLP reads. Default last (PyG's).
  GNNX_ARG(PGEmbedding, embedding) = PGEmbedding::kLast;
  /// Standardise every embedding feature (zero mean, unit variance over the nodes of the graph, or
  /// graphs, trained on; the statistics stay with the MLP) before the MLP reads it. An affine
  /// change of W₁'s input that the MLP could learn itself, but it keeps the first layer out of
  /// saturation when a model's embeddings are large (sum aggregation). Default true, not PyG's
  /// false: edge AUC with false / true on the reference models (seed 0, paper protocol,
  /// bench_pgexplainer): BA-Shapes 0.999 / 0.999, BA-Community 0.984 / 0.991, Tree-Cycles 0.620 /
  /// 0.934, Tree-Grid 0.555 / 0.497.
  GNNX_ARG(bool, standardize) = true;
  /// Where the mask enters the layers. Default message (PyG's).
  GNNX_ARG(nn::MaskPlacement, mask_placement) = nn::MaskPlacement::kMessage;
  /// Keep the model's prediction (model) or the true label (phenomenon, the only type PyG's
  /// PGExplainer supports). Default model.
  GNNX_ARG(ExplanationType, explanation_type) = ExplanationType::kModel;
  /// Seed of the MLP's initial weights (PyTorch's Linear initialisation, drawn from a torch CPU
  /// generator) and of the concrete noise. Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
};

/// What a training run did.
struct PGTrainReport {
  std::vector<double> epoch_loss;  ///< mean loss over the training instances, per epoch
  int64_t instances = 0;           ///< training instances
  int64_t steps = 0;               ///< Adam steps
  double seconds = 0;              ///< wall time of the training
};

class PGExplainer : public Explainer {
 public:
  explicit PGExplainer(PGExplainerOptions options = {});
  ~PGExplainer() override;
  std::string name() const override { return "pgexplainer"; }

  /// Node classifier: trains the MLP on the Target::node targets of graph (a new MLP, from the
  /// seed). Graph classifier: `targets` must be {Target::graph(0)}; use fit_graphs for many.
  /// Throws gnnx::Error for bad options, an empty list, ids out of range, a model whose task,
  /// width or type does not fit.
  PGTrainReport fit(nn::GNNModel& model, const Graph& graph, const std::vector<Target>& targets);
  /// Graph classifier: trains on every graph of `graphs`; labels as in explain_graphs.
  PGTrainReport fit_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                           const std::vector<int64_t>& labels = {});
  /// Whether fit or fit_graphs has run.
  bool trained() const;
  /// Forgets the trained MLP: the next explain trains again.
  void reset();

  /// Explains each target with the trained MLP in one forward pass; an untrained explainer first
  /// trains on the targets themselves (the transductive protocol of the paper). The MLP must have
  /// been trained on the same model (its embedding width is checked; the weights cannot be).
  std::vector<Explanation> explain(nn::GNNModel& model, const Graph& graph,
                                   const std::vector<Target>& targets) override;
  /// Graph classifier: one explanation per graph, training first on `graphs` when untrained.
  std::vector<Explanation> explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                          const std::vector<int64_t>& labels = {}) override;

  /// The MLP's parameters (W₁ [hidden, in], b₁ [hidden], W₂ [1, hidden], b₂ [1]); empty when untrained.
  std::vector<at::Tensor> parameters() const;

  PGExplainerOptions options;

  struct State;  ///< the trained MLP (opaque)

 private:
  std::unique_ptr<State> state_;
};

}  // namespace gnnx::explain
