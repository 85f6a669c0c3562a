#pragma once
/// GNNExplainer (Ying et al., NeurIPS 2019): a soft edge mask σ(M) and an optional feature mask
/// σ(F), learned by Adam to keep the model's prediction while staying small and near-binary.
///
/// For one instance (a node of a node classifier, or a graph of a graph classifier):
///
///   loss = CE(f(G ⊙ σ(M), X'), y)                        prediction loss, y the explained class
///        + edge_size · Σ_e σ(M_e)                          (sum over the instance's edges)
///        + edge_ent  · mean_e H(σ(M_e))                    H(p) = -p log(p+ε) - (1-p) log(1-p+ε)
///        + feat_size · mean σ(F)  + feat_ent · mean H(σ(F))
///        + laplacian · ½ Σ_{e=(u→v)} σ(M_e) (ŷ_u − ŷ_v)² / n²   (node tasks; ŷ the class the
///                                                         model predicts for each node on the full
///                                                         graph, as the original code's pred_label;
///                                                         n nodes; equals ŷᵀ L ŷ / n² for a
///                                                         symmetric mask)
///   X' = X ⊙ σ(F), or with reparametrize(true) X' = Z + (X − Z) ⊙ σ(F), Z drawn afresh every
///   epoch from the feature marginals (each entry Z_if a copy of X_jf for a uniformly drawn
///   node j of the instance's graph): the Monte-Carlo marginalisation of the paper.
///
/// σ(M) enters every message-passing layer through gnnx::nn::EdgeMaskScope, placed as
/// mask_placement() says (self loops added inside layers stay unmasked). A node is explained on
/// its computation subgraph, cut at model.receptive_field() hops (a GCN stack: L + 1, since
/// GCN's normalisation reads the degrees of the nodes L hops out), so the prediction explained
/// is the model's on the whole graph (checked: Explanation::logits); a graph on the whole graph. As in
/// PyTorch Geometric, the first epoch uses the prediction loss only and records which mask
/// entries get a non-zero gradient (the "hard" mask); the regularisers then run over those
/// entries only, and the others are reported as 0.
///
/// Many instances at once: the instances' graphs are joined into one disjoint union, each keeps
/// its own masks, and the loss is the sum of the per-instance losses (every regulariser is
/// reduced per instance), so each instance's gradient, and since Adam is element-wise its whole
/// trajectory, is the one it would have alone. Initial masks are drawn per instance from a
/// generator seeded by (seed, instance index), so batched and one-by-one runs start equal.
/// On CPU the instances are cut into chunks that run in parallel with TBB (each chunk one
/// union); on CUDA all instances form one union.

#include <cstdint>
#include <string>
#include <vector>

#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"
#include "gnnx/explain/explainer.h"

namespace gnnx::explain {

/// Which feature mask to learn.
enum class FeatureMaskType {
  kNone,         ///< no feature mask
  kFeature,      ///< [F], one value per feature shared by all nodes (the paper's "option 2")
  kNode,         ///< [N], one value per node
  kNodeFeature,  ///< [N, F], one value per node and feature
};
GNNX_ENUM_NAMES(FeatureMaskType, "feature mask type", {FeatureMaskType::kNone, "none"},
                {FeatureMaskType::kFeature, "feature"}, {FeatureMaskType::kNode, "node"},
                {FeatureMaskType::kNodeFeature, "node_feature"});

/// How the initial mask logits are drawn.
enum class InitialDraw {
  /// Per instance from gnnx::Rng seeded by (seed, node id or graph position): batched and single
  /// runs start equal, and the draws do not depend on the rest of the graph.
  kPerInstance,
  /// As PyG's GNNExplainer draws them after torch.manual_seed(seed): torch's CPU generator, the
  /// feature logits first ([N, F], [N, 1] or [1, F] times feat_init_std), then the edge logits
  /// ([E] times gain · sqrt(2 / (2N))), over the whole graph's N nodes and E edges, each target
  /// cut from the same draw. With PyG's other settings this reproduces PyG's masks.
  kPyG,
};
GNNX_ENUM_NAMES(InitialDraw, "initial draw", {InitialDraw::kPerInstance, "per_instance"}, {InitialDraw::kPyG, "pyg"});
/// "none" | "feature" | "node" | "node_feature"; throws gnnx::Error otherwise.

/// Which class the prediction loss keeps.
enum class ExplanationType {
  kModel,       ///< the model's own prediction on the full graph ("why did the model say this")
  kPhenomenon,  ///< the true label (graph.y), "why is this the case"
};
GNNX_ENUM_NAMES(ExplanationType, "explanation type", {ExplanationType::kModel, "model"},
                {ExplanationType::kPhenomenon, "phenomenon"});

struct GNNExplainerOptions {
  /// Optimisation epochs. Default 100 (PyG's).
  GNNX_ARG(int64_t, epochs) = 100;
  /// Adam learning rate. Default 0.1, the original GNNExplainer code's, not PyG's 0.01: with
  /// 0.01 the logits move at most ~1 in 100 epochs, so masks stay near their random start
  /// (BA-Shapes paper protocol, seed 0: AUC 0.77 at 0.01, 0.98 at 0.1; see `gnnx evaluate`).
  GNNX_ARG(double, lr) = 0.1;
  /// Coefficient of Σ σ(M) over the instance's edges. Default 0.2, not PyG's 0.005: on the
  /// sum-aggregation reference models the prediction saturates (loss ~1e-6) once every mask is
  /// high, and at 0.005 the entropy term then holds every edge, motif or not, near 1. Mean AUC
  /// over 5 seeds (`gnnx evaluate --seeds 5`, symmetric mask, one run from initial mean 0) at
  /// 0.005 / 0.2: BA-Shapes 0.980 / 0.979, BA-Community 0.854 / 0.833, Tree-Cycles 0.573 /
  /// 0.740, Tree-Grid 0.544 / 0.634, BA-2Motifs 0.451 / 0.551.
  GNNX_ARG(double, edge_size) = 0.2;
  /// Coefficient of the mean edge-mask entropy. Default 1.0 (PyG's).
  GNNX_ARG(double, edge_ent) = 1.0;
  /// Coefficient of the mean feature-mask value. Default 1.0 (PyG's).
  GNNX_ARG(double, feat_size) = 1.0;
  /// Coefficient of the mean feature-mask entropy. Default 0.1 (PyG's).
  GNNX_ARG(double, feat_ent) = 0.1;
  /// Coefficient of the Laplacian term (node tasks; 0 for graph tasks, as in the original code).
  /// Default 3000, not PyG's 0 (PyG has no such term) nor the original code's 1: with its 1 / n²
  /// scale an edge between a cycle node and a tree node of a 25-node Tree-Cycles subgraph costs
  /// 3000 · ½ / 625 ≈ 2.4 per direction, so explanations stop at the border between predicted
  /// classes instead of keeping the edge that joins the motif to the base and the base edges
  /// behind it. Mean AUC over 5 seeds (`gnnx evaluate --seeds 5`, own-motif ground truth) with 0 /
  /// 1000 / 3000: Tree-Cycles 0.799 / 0.911 / 0.921 (0.962 at 3000 on the counterexample-trained
  /// reference model, see datasets::reference_config), Tree-Grid 0.757 / 0.797 / 0.803, BA-Shapes
  /// 0.994 / 0.994 / 0.991, BA-Community 0.949 / 0.941 / 0.932. It assumes an explanation stays
  /// within nodes of one predicted class (for roles numbered 1, 2, 3 the squared differences make
  /// a motif's own edges cheaper than its border); set 0 where neighbours of other classes are
  /// the explanation (heterophilous graphs).
  GNNX_ARG(double, laplacian) = 3000.0;
  /// ε inside the entropy's logarithms. Default 1e-15 (PyG's).
  GNNX_ARG(double, eps) = 1e-15;
  /// Feature mask shape. Default none.
  GNNX_ARG(FeatureMaskType, feature_mask) = FeatureMaskType::kNone;
  /// X' = Z + (X − Z) ⊙ σ(F) with Z from the feature marginals instead of X ⊙ σ(F). Default false.
  GNNX_ARG(bool, reparametrize) = false;
  /// One mask logit per undirected edge: (u, v) and (v, u) share σ(M), as in the original
  /// GNNExplainer code (which symmetrises its adjacency mask); an edge stored without its
  /// reverse keeps a logit of its own. Default false: every directed edge has its own logit
  /// (PyG's behaviour), and average_directions makes the reported mask undirected. A shared
  /// logit gets the prediction's gradient through the inward direction only but the size
  /// penalty of both, which prunes motif edges (measured under average_directions).
  GNNX_ARG(bool, symmetric_mask) = false;
  /// With symmetric_mask false: report each edge's mask as the mean of σ(M) over the edge and its
  /// reverse, after the optimisation (the optimised logits stay directed). An edge's outward
  /// direction often carries no message towards the explained node and is pruned, while its
  /// inward direction is kept; the mean ranks the undirected edge by the half that mattered.
  /// No effect with symmetric_mask true. Default true. Edge AUC over 5 seeds of gnnx's reference
  /// models (shared logit / directed / directed and averaged): BA-Shapes 0.993 / 0.986 / 0.996,
  /// BA-Community 0.930 / 0.949 / 0.991, Tree-Cycles 0.968 / 0.833 / 0.947, Tree-Grid 0.944 / 0.914 / 0.949,
  /// BA-2Motifs 0.964 / 0.944 / 0.978; on ten GCNs PyG trained on its BA-Shapes
  /// 0.991–0.998, above PyG's own GNNExplainer (0.846–0.992) on each.
  /// docs/methods/mask-placement.md.
  GNNX_ARG(bool, average_directions) = true;
  /// Where σ(M) enters the layers: kMessage (PyG's: σ scales each normalised message; degrees
  /// and GAT's softmax stay those of the graph) or kDeletion (σ = 0 deletes the edge, degrees and
  /// softmax included). The two agree for sum aggregation without normalisation (GraphConv, GIN).
  /// Default message: on a GCN that PyG trained on PyG's BA-Shapes, edge AUC 0.979 against 0.706
  /// with deletion (80 motif nodes; PyG's own GNNExplainer: 0.858). docs/methods/mask-placement.md.
  GNNX_ARG(nn::MaskPlacement, mask_placement) = nn::MaskPlacement::kMessage;
  /// Keep the model's prediction or the true label. Default model.
  GNNX_ARG(ExplanationType, explanation_type) = ExplanationType::kModel;
  /// Edge-mask logits start as N(edge_init_mean, std²) with std = gain · sqrt(2 / (2n)), n the nodes of the
  /// instance's graph (PyG's; gain = calculate_gain("relu") = √2). Default √2.
  GNNX_ARG(double, edge_init_gain) = 1.4142135623730951;
  /// Means of the initial edge-mask logits, one optimisation run per mean. Every run of an
  /// instance starts from the same N(0, std²) draw shifted to its mean (the feature logits from
  /// the same draw), the runs are independent instances of the same batched optimisation, and
  /// the explanation's masks are the average of the runs' σ (final_loss / prediction_loss: the
  /// mean over runs). Default {0, 3}: PyG's start (σ ≈ 0.5) and one near the full graph
  /// (σ ≈ 0.95). On the sum-aggregation reference models the prediction at σ ≈ 0.5 can be the
  /// wrong class (Tree-Cycles; on BA-2Motifs' three-class model, "no motif"), so the run from 0
  /// first raises every edge together and can keep the wrong ones; the run from 3 starts with the
  /// prediction right and only prunes, but on BA-Shapes it prunes the motif to a few edges that
  /// then tie with the base graph; the average keeps what both keep. The original code starts
  /// at 1 (σ ≈ 0.73), which is between the two. Mean AUC over 5 seeds (`gnnx evaluate --seeds 5`,
  /// own-motif ground truth, the default reference models) with {0, 1} / {3} / {0, 3}:
  /// BA-Shapes 0.991 / 0.973 / 0.992, BA-Community 0.932 / 0.901 / 0.931, Tree-Cycles 0.962 /
  /// 0.990 / 0.981, Tree-Grid 0.867 / 0.962 / 0.943, BA-2Motifs 0.867 / 0.976 / 0.949. {3}
  /// alone misses BA-Community's 0.90 at some seeds and loses BA-Shapes' margin. Non-empty.
  GNNX_ARG(std::vector<double>, edge_init_means) = std::vector<double>{0.0, 3.0};
  /// Feature-mask logits start as N(0, feat_init_std²). Default 0.1 (PyG's).
  GNNX_ARG(double, feat_init_std) = 0.1;
  /// Where the initial logits come from (see InitialDraw). Default per instance.
  GNNX_ARG(InitialDraw, initial_draw) = InitialDraw::kPerInstance;
  /// Most instances per union on CPU (each run of each target is one instance); 0 = split the
  /// instances evenly over the TBB threads, at most 100 per union. Ignored on CUDA (one union).
  /// Default 0.
  GNNX_ARG(int64_t, chunk_size) = 0;
  /// Seed of the initial masks and of the marginal draws. Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
};

/// The per-instance regularisation terms of the loss above, for fixed mask probabilities.
/// Reductions run per instance (segment): edge_segment [E] int64 (undefined: one instance) says
/// which instance each edge_prob entry belongs to, feat_segment likewise for feat_prob (a flat
/// [*] view of the feature mask). laplacian needs edge_index [2, E] and node_pred [n] (float
/// class ids, indexed by edge_index) plus num_nodes [S] per instance; pass undefined to skip.
/// Every field is [S] (S = num_segments), summed over the terms by total().
struct RegularizerTerms {
  at::Tensor edge_size, edge_ent, feat_size, feat_ent, laplacian;
  at::Tensor total() const;
};
RegularizerTerms gnn_explainer_regularizers(const GNNExplainerOptions& options, const at::Tensor& edge_prob,
                                            const at::Tensor& feat_prob, int64_t num_segments = 1,
                                            const at::Tensor& edge_segment = {}, const at::Tensor& feat_segment = {},
                                            const at::Tensor& edge_index = {}, const at::Tensor& node_pred = {},
                                            const at::Tensor& num_nodes = {});

/// Initial logits a run would use for one instance (for tests and reproductions): edge [e],
/// feature [F], [n] or [n, F] (undefined for none), drawn from gnnx::Rng seeded by
/// (options.seed(), key) where key is the node id (node tasks) or the graph's position.
struct InitialMasks {
  at::Tensor edge, feature;
};

class GNNExplainer : public Explainer {
 public:
  explicit GNNExplainer(GNNExplainerOptions options = {});
  std::string name() const override { return "gnnexplainer"; }

  /// Node classifier: explains each Target::node(v[, label]) on its computation subgraph, all in
  /// one batched optimisation. Graph classifier: `targets` must be {Target::graph(0[, label])}.
  /// Throws gnnx::Error for an empty list, ids out of range, target kinds that do not fit the
  /// model's task, or a model whose input width differs from graph.x's.
  std::vector<Explanation> explain(nn::GNNModel& model, const Graph& graph,
                                   const std::vector<Target>& targets) override;
  /// explain()'s explanations in compact form, never holding [E] or [N] masks.
  std::vector<Explanation> explain_compact(nn::GNNModel& model, const Graph& graph,
                                           const std::vector<Target>& targets) override;

  /// Graph classifier: explains every graph of `graphs` (one batched optimisation). labels:
  /// the class to explain per graph, or empty for the model's predictions (or graph.y for the
  /// phenomenon type). Explanation::target is Target::graph(i).
  std::vector<Explanation> explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                          const std::vector<int64_t>& labels = {}) override;

  /// Runs once per target from these initial logits instead of the seeded draws (one entry per
  /// target, or per graph; edge_init_means is not used): how tests compare a batched run
  /// against single runs from the same start.
  std::vector<Explanation> explain_from(nn::GNNModel& model, const Graph& graph, const std::vector<Target>& targets,
                                        const std::vector<InitialMasks>& init);
  /// The initial logits explain() draws for `targets` in its first run (edge_init_means()[0]);
  /// run r starts from them plus edge_init_means()[r] − edge_init_means()[0].
  std::vector<InitialMasks> initial_masks(nn::GNNModel& model, const Graph& graph,
                                          const std::vector<Target>& targets) const;

  GNNExplainerOptions options;
};

}  // namespace gnnx::explain
