#pragma once
/// NEON: explaining kernel models through their neuralised networks (gnnx/nn/models/kernel.h)
/// with LRP (Kauffmann et al., "From clustering to cluster explanations via neural networks",
/// 2019; "Towards explaining anomalies", 2020).
///
/// Relevance flows from the output down the neuralised layers:
///   soft-min / soft-max pooling   R_j = π_j · R with π the pooling's own weights
///                                 (softmin: exp(−t h_j) / Σ exp(−t h_j'); softmax: exp(t h_j) / Σ ...),
///                                 so each pooling layer conserves relevance exactly.
///   first layer: the midpoint rule. A neuron is expanded to first order at a root point
///   halfway between x and the data it compares x with, and the first-order terms are
///   renormalised to carry the neuron's relevance:
///     distance neuron h_j = γ‖x − x_j‖² − log α_j, root m = (x + x_j)/2:
///       the terms are ∝ (x_d − x_jd)², so R_d ← (x_d − x_jd)² / ‖x − x_j‖² · R_j
///       (a point exactly on x_j spreads R_j evenly over the D dimensions);
///     linear neuron h_ijk = w_ijᵀx + b_ijk, root r_ijk on the line through x_i and x_j where
///       h_ijk = 0: the midpoint (x_i + x_j)/2 (on the bisector), shifted along w_ij by the
///       cluster-size term of b_ijk, so that w_ijᵀ(x − r_ijk) = h_ijk:
///       R_d ← w_ij,d (x_d − r_ijk,d) / stab(h_ijk) · R_ijk, stab as in lrp_rules.h;
///       a denominator exactly 0 passes no relevance.
/// The relevance of the input therefore sums to the explained output (conservation), up to
/// the ε stabiliser and exactly-zero denominators of the linear neurons; no bias absorbs any.

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"
#include "gnnx/nn/models/kernel.h"

namespace gnnx::attribution {

struct NeonOptions {
  /// Stabiliser ε of the midpoint rule's denominator (stab(z) = z + ε·sign(z)), ≥ 0. Default 1e-12.
  GNNX_ARG(double, epsilon) = 1e-12;
  /// Points explained per block; 0 picks the largest block whose k-means layer 1 terms
  /// (block · |C_c| · |C_k| · D doubles, largest k) stay within 2²² (32 MiB). Default 0.
  GNNX_ARG(int64_t, batch_size) = 0;
};

/// A NEON explanation of B points.
struct NeonRelevance {
  at::Tensor output;     ///< [B] float64: the explained quantity at each point
  at::Tensor relevance;  ///< [B, D] float64: relevance of each input dimension
};

/// Explains the outlier score o(x) = −log f(x) of a KDE / one-class SVM at x [B, D].
/// Throws gnnx::Error for x of another width or bad options.
NeonRelevance neon(const nn::KernelScoreModel& model, const at::Tensor& x, const NeonOptions& options = {});
/// Explains the log-likelihood ratio log(p_c / (1 − p_c)) of kernel k-means cluster c at x [B, D].
NeonRelevance neon(const nn::KernelKMeansModel& model, const at::Tensor& x, int64_t cluster,
                   const NeonOptions& options = {});

}  // namespace gnnx::attribution
