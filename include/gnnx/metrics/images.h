#pragma once
/// Scores for image explanations against ground truth (localisation), against the model
/// (deletion / pixel flipping) and against randomisation (the model-parameter sanity check).
///
/// Heatmaps are [B, H, W]; heatmap() reduces an attribution [B, C, H, W] by summing channels.
/// Boxes are [B, 4] int64 (x0, y0, x1, y1), inclusive pixel coordinates, as in
/// gnnx::datasets::ImageDataset.

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/container/sequential.h>

#include "gnnx/attribution/attributor.h"
#include "gnnx/core/arg.h"

namespace gnnx::metrics {

/// values [B, C, H, W] -> Σ_c values [B, H, W]; [B, H, W] is returned as is.
at::Tensor heatmap(const at::Tensor& values);

/// An inclusive pixel box.
struct Box {
  int64_t x0 = 0, y0 = 0, x1 = -1, y1 = -1;
  int64_t area() const { return x1 < x0 || y1 < y0 ? 0 : (x1 - x0 + 1) * (y1 - y0 + 1); }
};
/// Intersection over union of two inclusive boxes (0 when both are empty).
double box_iou(const Box& a, const Box& b);

/// The CAM paper's box: keep the pixels of map [H, W] with value >= fraction · max(map), take
/// the largest 8-connected component of them (Boost.Graph connected_components on the pixel
/// grid; ties: the component containing the first such pixel in row-major order) and return its
/// bounding box. A map whose maximum is <= 0 gives an empty box.
Box cam_box(const at::Tensor& map, double fraction = 0.2);

/// Per image: IoU of cam_box(maps[b], fraction) with boxes[b]. maps [B, H, W] -> [B] double.
at::Tensor localization_iou(const at::Tensor& maps, const at::Tensor& boxes, double fraction = 0.2);
/// Per image: 1 when the map's maximum (first in row-major order) lies inside masks[b]
/// [B, H, W] bool, else 0 -> [B] double. (The pointing game without tolerance.)
at::Tensor pointing_game(const at::Tensor& maps, const at::Tensor& masks);
/// Per image: Σ_{mask} relu(map) / Σ relu(map), 0 when the map has no positive value -> [B].
at::Tensor positive_share_in_mask(const at::Tensor& maps, const at::Tensor& masks);

/// What the deletion curve tracks.
enum class CurveScore {
  kProbability,  ///< softmax probability of the target class (RISE's deletion metric)
  kLogit,        ///< the raw target logit (pixel flipping)
};

struct DeletionOptions {
  /// Points of the curve after the start: pixels are removed in `steps` equal chunks. Default 16.
  GNNX_ARG(int64_t, steps) = 16;
  /// The value every channel of a removed pixel takes. Default 0 (the data's mean).
  GNNX_ARG(double, baseline) = 0.0;
  /// Tracked score. Default the target probability.
  GNNX_ARG(CurveScore, score) = CurveScore::kProbability;
};

struct DeletionCurves {
  at::Tensor fractions;  ///< [S + 1] in [0, 1]: share of pixels removed
  at::Tensor scores;     ///< [B, S + 1]: the target's score after removing that share
  at::Tensor auc;        ///< [B]: trapezoid area under scores over fractions
};

/// Deletion / pixel flipping: for each image remove pixels from most to least relevant
/// according to maps [B, H, W] (ties in row-major order), evaluating model on x [B, C, H, W]
/// with each prefix removed. labels [B] are the explained classes. Lower AUC = more faithful.
DeletionCurves deletion_curves(const attribution::ImageModel& model, const at::Tensor& x, const at::Tensor& labels,
                               const at::Tensor& maps, const DeletionOptions& options = {});

/// Spearman rank correlation of two tensors of the same numel (average ranks for ties). NaN
/// when either is constant.
double spearman(const at::Tensor& a, const at::Tensor& b);

struct RandomisationOptions {
  /// Correlate absolute heatmaps (Adebayo et al.'s main variant) rather than signed ones. Default true.
  GNNX_ARG(bool, absolute) = true;
  /// Seed of the random weights. Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
};

struct RandomisationResult {
  std::vector<std::string> layers;  ///< stage s randomised layers[0..s] (top layer first)
  at::Tensor correlation;           ///< [S]: mean Spearman correlation over the images at stage s
};

/// Model parameter randomisation (cascading, top-down; Adebayo et al. 2018): clones model,
/// re-draws the weights and biases of the layers with parameters from the last one down
/// (uniform(-1/√fan_in, 1/√fan_in), torch's default range), and after each stage correlates the
/// method's heatmap with the original one per image. The targets are the original model's
/// labels. A method whose explanation does not depend on the model keeps correlation near 1;
/// a heatmap that becomes constant counts as correlation 0.
RandomisationResult model_randomisation(torch::nn::Sequential model, attribution::Attributor& method,
                                        const at::Tensor& x, const at::Tensor& labels,
                                        const RandomisationOptions& options = {});

}  // namespace gnnx::metrics
