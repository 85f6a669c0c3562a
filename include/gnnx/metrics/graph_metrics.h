#pragma once
/// Graph explanation metrics with PyTorch Geometric's (torch_geometric.explain.metric) and
/// GraphXAI's (Agarwal et al., Scientific Data 2023) definitions: tensors in, numbers out. The
/// forwards these scores need (the model on the explanation subgraph and on its complement) run
/// in gnnx/eval/graph_metrics.h. docs/methods/graph_metrics.md gives the formulas and where the
/// two libraries differ.

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"
#include "gnnx/explain/explanation.h"

namespace gnnx::metrics {

/// How a soft mask becomes the mask the model sees: PyG's ThresholdConfig types.
enum class MaskThreshold {
  kNone,      ///< the mask as it is
  kHard,      ///< 1 where mask > value, else 0
  kTopK,      ///< the k = value largest entries keep their value, the others become 0
  kTopKHard,  ///< the k = value largest entries become 1, the others 0
};
GNNX_ENUM_NAMES(MaskThreshold, "mask threshold", {MaskThreshold::kNone, "none"}, {MaskThreshold::kHard, "hard"},
                {MaskThreshold::kTopK, "topk"}, {MaskThreshold::kTopKHard, "topk_hard"});

struct ThresholdOptions {
  /// The kind of threshold. Default none.
  GNNX_ARG(MaskThreshold, type) = MaskThreshold::kNone;
  /// kHard: the threshold; kTopK / kTopKHard: k, a non-negative integer. Default 0.5.
  GNNX_ARG(double, value) = 0.5;
};

/// mask (any shape, floating) thresholded as options say, same shape and dtype. Top-k ranks
/// the flattened mask, ties broken by the lower index (torch.topk leaves tie order
/// unspecified); k >= numel keeps the mask (kTopK) or gives all ones (kTopKHard), as PyG does.
/// Throws gnnx::Error for an undefined or non-floating mask, NaN entries, or k that is not a
/// non-negative integer.
at::Tensor threshold_mask(const at::Tensor& mask, const ThresholdOptions& options);

/// The explanation's edge mask [E] thresholded over the edges it could score (edge_ids) only,
/// 0 elsewhere, on the CPU as float32. This equals PyG's thresholding of the whole [E] mask
/// whenever the edges it selects all lie in the computation subgraph (for top-k: when the k-th
/// largest score is positive). Throws gnnx::Error when the explanation has no edge mask.
at::Tensor explanation_edge_mask(const explain::Explanation& explanation, const ThresholdOptions& options);

/// Which label fidelity compares predictions with.
enum class FidelityForm {
  kModel,       ///< the model's prediction on the whole graph (PyG's explanation_type="model")
  kPhenomenon,  ///< the true label (PyG's explanation_type="phenomenon")
};
GNNX_ENUM_NAMES(FidelityForm, "fidelity form", {FidelityForm::kModel, "model"},
                {FidelityForm::kPhenomenon, "phenomenon"});

struct Fidelity {
  double plus = 0;         ///< fid+: mean of plus_items
  double minus = 0;        ///< fid-: mean of minus_items
  at::Tensor plus_items;   ///< [B] float64 per instance
  at::Tensor minus_items;  ///< [B] float64 per instance
};

/// GraphFramEx fidelity as PyG computes it, from predicted classes ([B] integer each): pred the
/// model's class on the whole graph, explained on the explanation subgraph G_S (edge mask m),
/// complement on G_{C\S} (edge mask 1 - m); labels the true classes (kPhenomenon only).
///   model:      fid+ = 1 - mean 1[complement = pred],  fid- = 1 - mean 1[explained = pred]
///   phenomenon: fid+ = mean |1[pred = y] - 1[complement = y]|,  fid- = mean |1[pred = y] - 1[explained = y]|
/// Throws gnnx::Error for sizes that differ, an empty batch, or labels missing in kPhenomenon.
Fidelity fidelity(const at::Tensor& pred, const at::Tensor& explained, const at::Tensor& complement,
                  FidelityForm form = FidelityForm::kModel, const at::Tensor& labels = {});

/// PyG's characterization score, the weighted harmonic mean of fid+ and 1 - fid-:
/// (w+ + w-) / (w+ / fid+ + w- / (1 - fid-)), 0 when fid+ = 0 or fid- = 1. Throws gnnx::Error
/// unless w+ + w- = 1 (to 1e-12), both weights are >= 0 and both fidelities lie in [0, 1].
double characterization_score(double fid_plus, double fid_minus, double pos_weight = 0.5, double neg_weight = 0.5);

/// PyG's fidelity_curve_auc: the trapezoid area under f(x) = fid+ / (1 - fid-) over x ([n],
/// ascending). Throws gnnx::Error for sizes that differ, n < 1, x not ascending, or fid- = 1.
double fidelity_curve_auc(const at::Tensor& fid_plus, const at::Tensor& fid_minus, const at::Tensor& x);

/// GraphXAI's graph explanation unfaithfulness (GEF), as PyG's unfaithfulness and GraphXAI
/// compute it, per row: 1 - exp(-KL(p_masked || p_full)) with KL(p || q) = sum_c p_c (log p_c -
/// log q_c), a term with p_c = 0 counting 0 (torch's kl_div gives NaN there when q_c = 0 too). Both libraries call
/// F.kl_div(p_full.log(), p_masked), whose KL runs from the masked distribution to the full one, the reverse of the
/// papers' KL(y || y_hat). p_full, p_masked: [B, C] probabilities (rows sum to 1) -> [B] float64. Throws gnnx::Error
/// for shapes that differ, negative entries or rows that do not sum to 1 (to 1e-4).
at::Tensor unfaithfulness(const at::Tensor& p_full, const at::Tensor& p_masked);

/// PyG's groundtruth_metrics (torchmetrics' binary metrics): the target is target >= threshold;
/// pred is first squashed by a sigmoid when any entry lies outside [0, 1] (torchmetrics reads
/// such input as logits), then a positive is pred > threshold. Precision, recall and F1 are 0
/// when their denominator is 0. auroc ranks pred (after the sigmoid), ties counting one half;
/// NaN when the target holds one class only.
struct GroundTruthScores {
  double accuracy = 0, recall = 0, precision = 0, f1 = 0, auroc = 0;
};
/// pred, target: the same numel, floating. Throws gnnx::Error otherwise or for NaN.
GroundTruthScores groundtruth_metrics(const at::Tensor& pred, const at::Tensor& target, double threshold = 0.5);

/// Jaccard index |S n T| / |S u T| of two 0/1 masks of the same numel (entries > 0.5 count as
/// selected); 0 when both are empty (GraphXAI's TP / (TP + FP + FN + eps)).
double jaccard(const at::Tensor& selected, const at::Tensor& truth);

/// GraphXAI's graph explanation accuracy (GEA): the largest Jaccard index of the selected
/// edges with any of the ground-truth explanations (a prediction may match one of several
/// equally valid motifs). Throws gnnx::Error for an empty list or sizes that differ.
double graph_explanation_accuracy(const at::Tensor& selected, const std::vector<at::Tensor>& truths);

/// Sparsity (Yuan et al.'s survey; GraphFramEx): 1 - sum(m) / n over the n entries of a mask
/// with entries in [0, 1] (for a 0/1 mask: the share of candidate edges left out). Throws
/// gnnx::Error for an empty mask or entries outside [0, 1].
double sparsity(const at::Tensor& mask);

/// Cosine distance 1 - <a, b> / (|a| |b|) of two vectors of the same numel, the distance of
/// GraphXAI's stability (GES). Two zero vectors are at distance 0; a zero and a non-zero vector
/// at distance 1 (torch's cosine_similarity, which GraphXAI calls, gives 1 for both).
double cosine_distance(const at::Tensor& a, const at::Tensor& b);

}  // namespace gnnx::metrics
