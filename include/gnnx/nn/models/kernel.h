#pragma once
/// Kernel models (kernel density estimation, one-class SVM, kernel k-means) and their
/// "neuralised" forms: strictly equivalent networks made of a distance (or linear) layer and
/// soft-min / soft-max pooling layers (Kauffmann et al. 2019, 2020), so that LRP can explain
/// them (gnnx/attribution/neon.h).
///
/// All computations run in float64 on the CPU; inputs of any floating dtype are converted.
/// Points are rows: x [B, D], support / data [N, D].
///
/// Soft pooling with stiffness t > 0 (t → ∞ gives the hard min / max):
///   smin^t_j {h_j} = −t⁻¹ log Σ_j exp(−t h_j),   smax^t_j {h_j} = t⁻¹ log Σ_j exp(t h_j).
///
/// Kernel score models (KDE, one-class SVM): f(x) = Σ_j α_j exp(−γ‖x − x_j‖²), α_j > 0, with the
/// outlier score o(x) = −log f(x). Neuralised:
///   layer 1 (distance)  h_j = γ‖x − x_j‖² − log α_j                          [B, N]
///   layer 2 (pooling)   o(x) = smin^1_j {h_j}                                 [B]
///
/// Kernel k-means as KDE + softmax: s_k(x) = Z_k⁻¹ Σ_{j∈C_k} exp(−γ‖x − x_j‖²) with Z_k = |C_k|,
/// p_c = s_c^{β/γ} / Σ_k s_k^{β/γ}. The log-likelihood ratio of cluster c, neuralised:
///   layer 1 (linear)    h_ijk = w_ijᵀx + b_ijk, i ∈ C_c, j ∈ C_k, k ≠ c,
///                       w_ij = 2(x_i − x_j), b_ijk = ‖x_j‖² − ‖x_i‖² + γ⁻¹(log Z_k − log Z_c)
///   layer 2 (pooling)   a_jk = smax^γ_{i∈C_c} {h_ijk}
///   layer 3 (pooling)   d_k  = smin^γ_{j∈C_k} {a_jk}
///   layer 4 (pooling)   log(p_c / (1 − p_c)) = β · smin^β_{k≠c} {d_k}
/// (derivation in docs/methods/neon.md).

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"

namespace gnnx::nn {

/// smin^t over dimension `dim`: −t⁻¹ logsumexp(−t h). Throws gnnx::Error unless t > 0.
at::Tensor soft_min(const at::Tensor& h, int64_t dim, double stiffness);
/// smax^t over dimension `dim`: t⁻¹ logsumexp(t h). Throws gnnx::Error unless t > 0.
at::Tensor soft_max(const at::Tensor& h, int64_t dim, double stiffness);

/// The neuralised kernel score model's layers at a batch of points.
struct KernelScoreLayers {
  at::Tensor distances;  ///< layer 1: h [B, N] = γ‖x − x_j‖² − log α_j
  at::Tensor output;     ///< layer 2: o [B] = smin_j h_j = −log f(x)
};

/// f(x) = Σ_j α_j exp(−γ‖x − x_j‖²) (see the file comment).
class KernelScoreModel {
 public:
  /// support [N, D] with N ≥ 1, weights α [N] all > 0 and finite, gamma > 0. Throws gnnx::Error
  /// otherwise.
  KernelScoreModel(const at::Tensor& support, const at::Tensor& weights, double gamma);

  /// Gaussian kernel density estimate of data [N, D] with bandwidth h > 0: γ = 1/(2h²),
  /// α_j = (2πh²)^(−D/2) / N, so f is a probability density.
  static KernelScoreModel kde(const at::Tensor& data, double bandwidth);
  /// A one-class SVM's decision function without its offset: support vectors [N, D], their dual
  /// coefficients [N] (scikit-learn's support_vectors_ and dual_coef_[0]) and the RBF γ. Then
  /// f(x) = scikit-learn's score_samples(x) and decision_function(x) = f(x) − offset_.
  static KernelScoreModel one_class_svm(const at::Tensor& support_vectors, const at::Tensor& dual_coef, double gamma);

  const at::Tensor& support() const { return support_; }  ///< [N, D] float64
  const at::Tensor& weights() const { return weights_; }  ///< α [N] float64
  double gamma() const { return gamma_; }
  int64_t dim() const { return support_.size(1); }

  /// The direct formula f(x) [B] (float64). Throws gnnx::Error unless x is [B, D].
  at::Tensor score(const at::Tensor& x) const;
  /// The neuralised network at x [B, D]; output equals −log score(x).
  KernelScoreLayers neuralised(const at::Tensor& x) const;

 private:
  at::Tensor support_, weights_;
  double gamma_ = 1.0;
};

struct KernelKMeansOptions {
  /// Clusters K (≥ 2). Default 3.
  GNNX_ARG(int64_t, clusters) = 3;
  /// Kernel γ of exp(−γ‖x − x'‖²) (> 0). Default 1.
  GNNX_ARG(double, gamma) = 1.0;
  /// Stiffness β of the cluster softmax (> 0). Default 1.
  GNNX_ARG(double, beta) = 1.0;
  /// Reassignment rounds at most. Default 50.
  GNNX_ARG(int64_t, max_iterations) = 50;
  /// Seed of the initial centres. Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
};

/// The neuralised kernel k-means layers for cluster c at a batch of points. The pieces per
/// competing cluster k ≠ c are listed in `others` order.
struct KernelKMeansLayers {
  std::vector<int64_t> others;     ///< the clusters k ≠ c, increasing
  std::vector<at::Tensor> linear;  ///< per k: layer 1 h_ijk [B, |C_c|, |C_k|]
  std::vector<at::Tensor> inner;   ///< per k: layer 2 a_jk = smax^γ_i h_ijk [B, |C_k|]
  at::Tensor competitors;          ///< layer 3: d_k = smin^γ_j a_jk [B, K − 1]
  at::Tensor output;               ///< layer 4: β smin^β_k d_k [B] = log(p_c / (1 − p_c))
};

/// Kernel k-means (KDE + softmax; see the file comment).
class KernelKMeansModel {
 public:
  /// points [N, D], assignments [N] int64 in [0, K) with every cluster non-empty, gamma and beta
  /// > 0. Throws gnnx::Error otherwise.
  KernelKMeansModel(const at::Tensor& points, const at::Tensor& assignments, int64_t clusters, double gamma,
                    double beta);

  /// Fits the assignments of data [N, D]: K initial centres are drawn by seeded k-means++
  /// seeding (nearest-centre assignment); then every point moves to argmax_k s_k(x) until no point
  /// moves, max_iterations pass, or a move would empty a cluster (then the last assignment
  /// with every cluster non-empty is kept). Throws gnnx::Error for N < K or bad options.
  static KernelKMeansModel fit(const at::Tensor& data, const KernelKMeansOptions& options = {});

  const at::Tensor& points() const { return points_; }            ///< [N, D] float64
  const at::Tensor& assignments() const { return assignments_; }  ///< [N] int64
  int64_t clusters() const { return clusters_; }
  double gamma() const { return gamma_; }
  double beta() const { return beta_; }
  int64_t dim() const { return points_.size(1); }
  /// The points of cluster k [|C_k|, D].
  at::Tensor members(int64_t k) const;

  /// The direct formula p [B, K] (float64). Throws gnnx::Error unless x is [B, D].
  at::Tensor probabilities(const at::Tensor& x) const;
  /// log(p_c / (1 − p_c)) [B] from the direct formula (computed in log space).
  at::Tensor log_odds(const at::Tensor& x, int64_t cluster) const;
  /// The neuralised network for cluster c at x [B, D]; output equals log_odds(x, c). Throws
  /// gnnx::Error for a cluster outside [0, K).
  KernelKMeansLayers neuralised(const at::Tensor& x, int64_t cluster) const;

 private:
  at::Tensor points_, assignments_;
  int64_t clusters_ = 0;
  double gamma_ = 1.0, beta_ = 1.0;
};

}  // namespace gnnx::nn
