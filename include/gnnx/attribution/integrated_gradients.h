#pragma once
/// Integrated gradients (Sundararajan et al. 2017), with Captum 0.7's quadrature rules.
///
///   IG_i(x) = (x_i − x'_i) · ∫_0^1 ∂y_c(x' + α (x − x'))/∂x_i dα
///           ≈ (x_i − x'_i) · Σ_k w_k ∂y_c(x' + α_k (x − x'))/∂x_i
///
/// Completeness: Σ_i IG_i = y_c(x) − y_c(x'); the residual Σ IG − (y_c(x) − y_c(x')) is
/// returned per item as diagnostics["delta"] (Captum's convergence delta, signed).

#include <utility>
#include <vector>

#include "gnnx/attribution/attributor.h"
#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"

namespace gnnx::attribution {

/// Quadrature rule on [0, 1] (Captum's approximation_methods).
enum class IntegrationMethod {
  kGaussLegendre,  ///< "gausslegendre": nodes (1 + t_k)/2, weights w_k/2 of the n-point rule on [-1, 1]
  kRiemannLeft,    ///< "riemann_left":   α_k = k/n,         w_k = 1/n
  kRiemannRight,   ///< "riemann_right":  α_k = (k+1)/n,     w_k = 1/n
  kRiemannMiddle,  ///< "riemann_middle": α_k = (k+½)/n,     w_k = 1/n
  /// "riemann_trapezoid", Captum's: α_k = k/(n−1), w_k = 1/n halved at both ends (n ≥ 2). The
  /// weights sum to (n−1)/n, not 1, exactly as in Captum, whose numbers this reproduces.
  kRiemannTrapezoid,
  kTrapezoid,  ///< "trapezoid": the composite trapezoid rule, α_k = k/(n−1), w = 1/(n−1) halved at both ends (n ≥ 2)
};
GNNX_ENUM_NAMES(IntegrationMethod, "integration method", {IntegrationMethod::kGaussLegendre, "gausslegendre"},
                {IntegrationMethod::kRiemannLeft, "riemann_left"}, {IntegrationMethod::kRiemannRight, "riemann_right"},
                {IntegrationMethod::kRiemannMiddle, "riemann_middle"},
                {IntegrationMethod::kRiemannTrapezoid, "riemann_trapezoid"},
                {IntegrationMethod::kTrapezoid, "trapezoid"});

/// Nodes α_k (ascending) and weights w_k of the n-step rule on [0, 1], in double precision.
/// Gauss–Legendre nodes are found by Newton's method on P_n (error < 1e-14). Throws
/// gnnx::Error for n < 1 (n < 2 for the trapezoid rules).
std::pair<std::vector<double>, std::vector<double>> integration_rule(IntegrationMethod method, int64_t n);

struct IntegratedGradientsOptions {
  /// Number of integration steps n. Default 50 (Captum's).
  GNNX_ARG(int64_t, steps) = 50;
  /// Quadrature rule. Default Gauss–Legendre (Captum's).
  GNNX_ARG(IntegrationMethod, method) = IntegrationMethod::kGaussLegendre;
  /// Baseline x': a tensor broadcastable to the objective's input [B, *item] (e.g. [1, C, H, W]
  /// or one per item); undefined means baseline_value everywhere.
  GNNX_ARG(at::Tensor, baseline);
  /// Constant baseline used when `baseline` is undefined. Default 0.
  GNNX_ARG(double, baseline_value) = 0.0;
  /// Rows per forward/backward pass (Captum's internal_batch_size): each pass evaluates
  /// max(1, internal_batch_size / B) steps for all B items. -1 = all n steps in one pass.
  /// 0 = chosen by device: all steps in one pass on CUDA; on the CPU as many steps per pass as
  /// keep the pass's input under 2^20 values (4 MiB of float32), at least one. An image of
  /// 3x32x32 then runs all 50 steps in one pass, a graph of 10^5 nodes with 10 features one step
  /// per pass: a row of a graph model is a whole copy of the graph, so the budget bounds a pass's
  /// memory. Fewer, larger passes were faster on the CPU for the bench's CNN and GNN, with and
  /// without gnnx::tune_malloc() (bench_attribution, docs/benchmarks.md). Default 0.
  GNNX_ARG(int64_t, internal_batch_size) = 0;
};

class IntegratedGradients : public Attributor {
 public:
  explicit IntegratedGradients(IntegratedGradientsOptions options = {});
  std::string name() const override { return "ig"; }
  bool concurrent() const override { return true; }
  std::map<std::string, std::string> options() const override;

 protected:
  Attribution compute(Objective& objective) override;

 private:
  IntegratedGradientsOptions options_;
};

}  // namespace gnnx::attribution
