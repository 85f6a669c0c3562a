#pragma once
/// Image-explanation protocols that run the model: deletion (pixel flipping) and the
/// model-parameter randomisation sanity check. Maps are [B, H, W] (gnnx::metrics::heatmap).

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/container/sequential.h>

#include "gnnx/attribution/attributor.h"
#include "gnnx/core/arg.h"

namespace gnnx::eval {

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

}  // namespace gnnx::eval
