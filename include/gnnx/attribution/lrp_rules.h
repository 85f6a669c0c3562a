#pragma once
/// LRP rule primitives, shared by every LRP in gnnx: GNN-LRP (gnnx/explain/gnn_lrp.h) and the
/// layer-wise LRP of CNNs (Linear, Conv2d, ...).
///
/// The rules are written as the deck's "modified forward" trick (Montavon et al., "Layer-wise
/// relevance propagation: an overview", sec. 10.2): for a layer with input a_j, output
/// activation a_k = act(z_k) and a modified pre-activation p_k = Σ_j a_j w'_jk + b'_k,
///
///     y = p · [a / stab(p)]_detached          (value a, up to the correction below)
///
/// has the gradient ∂y_k/∂a_j = w'_jk · a_k / stab(p_k). Chaining such layers and taking
/// input ⊙ ∂f/∂input gives the LRP relevance R_j = a_j Σ_k w'_jk R_k / stab(p_k) with
/// R_k = a_k c_k, i.e. the rule, from one ordinary backward pass. gnnx adds the detached
/// correction (a − p·[a/stab(p)]) so that the forward value is exactly `a` even with ε > 0;
/// downstream layers therefore see the model's real activations.
///
/// Conventions (Zennit's): stab(z) = z + ε·sign(z) with sign(0) = +1; a denominator that is
/// exactly 0 (only possible with ε = 0) contributes 0 relevance instead of NaN.
///
/// Rules as parameter transforms (W is the weight, b the bias, x⁺ = max(x, 0), x⁻ = min(x, 0)):
///   ε:      p = f(a; W, b)                                    (LRP-0 when ε = 0)
///   γ:      p = f(a; W + γW⁺, b + γb⁺)
///   αβ:     R = α·R⁺ − β·R⁻ with p⁺ = f(a⁺; W⁺, b⁺) + f(a⁻; W⁻, 0) and
///           p⁻ = f(a⁺; W⁻, b⁻) + f(a⁻; W⁺, 0), each stabilised by ε; α − β = 1 conserves.
///   z⁺:     αβ with α = 1, β = 0 (Zennit's ZPlus).
///
/// Reuse for any affine layer: describe its forward with transformed parameters as a
/// ModifiedForward and call lrp_forward; e.g. Conv2d:
///
///     auto f = [&](const at::Tensor& in, const ParamTransform& t) {
///       return torch::conv2d(in, t.weight(conv->weight), t.bias(conv->bias), stride, padding);
///     };
///     at::Tensor y = lrp_forward(rule, x, torch::relu(conv->forward(x)), f);
///
/// then run the rest of the network on y and take x * grad(f_c, x).

#include <cstdint>
#include <functional>
#include <string>

#include <ATen/core/Tensor.h>

#include "gnnx/core/enum_names.h"

namespace gnnx::attribution {

enum class LrpRuleKind {
  kEpsilon,    ///< ε rule (LRP-0 when ε = 0)
  kGamma,      ///< γ rule: W → W + γW⁺, b → b + γb⁺
  kZPlus,      ///< z⁺ rule (= αβ with α = 1, β = 0)
  kAlphaBeta,  ///< αβ rule
};
GNNX_ENUM_NAMES(LrpRuleKind, "LRP rule", {LrpRuleKind::kEpsilon, "epsilon"}, {LrpRuleKind::kGamma, "gamma"},
                {LrpRuleKind::kZPlus, "zplus"}, {LrpRuleKind::kAlphaBeta, "alpha-beta"});
/// "epsilon" | "gamma" | "zplus" | "alpha-beta" (converted once, at the CLI or file boundary).

/// One LRP rule with its parameters. Build with the named constructors.
struct LrpRule {
  LrpRuleKind kind = LrpRuleKind::kEpsilon;
  double epsilon = 1e-6;  ///< stabiliser ε added with the sign of the denominator (sign(0) = +1)
  double gamma = 0.0;     ///< γ of the γ rule
  double alpha = 1.0;     ///< α of the αβ rule
  double beta = 0.0;      ///< β of the αβ rule

  /// ε rule. Default ε = 1e-6 (Zennit's default).
  static LrpRule eps(double epsilon = 1e-6);
  /// γ rule. Defaults γ = 0.25, stabiliser 1e-6 (Zennit's defaults).
  static LrpRule gamma_rule(double gamma = 0.25, double epsilon = 1e-6);
  /// z⁺ rule, stabiliser 1e-6.
  static LrpRule zplus(double epsilon = 1e-6);
  /// αβ rule. Defaults α = 2, β = 1.
  static LrpRule alpha_beta(double alpha = 2.0, double beta = 1.0, double epsilon = 1e-6);

  /// Throws gnnx::Error naming `op` for ε < 0, γ < 0, α < 0, β < 0 or α − β ≠ 1.
  void validate(const std::string& op) const;
  /// "gamma(0.25, eps=1e-06)" and the like.
  std::string describe() const;
};

/// z + ε·sign(z) with sign(0) = +1.
at::Tensor lrp_stabilize(const at::Tensor& z, double epsilon);
/// a / stab(z), and 0 where stab(z) is exactly 0. Same shapes (broadcasting as torch).
at::Tensor lrp_ratio(const at::Tensor& a, const at::Tensor& z, double epsilon);

/// w + γ·max(w, 0), elementwise.
at::Tensor gamma_transform(const at::Tensor& w, double gamma);

/// How a rule transforms a layer's parameters. weight() / bias() apply it; an undefined bias
/// stays undefined.
struct ParamTransform {
  std::function<at::Tensor(const at::Tensor&)> weight_fn;
  std::function<at::Tensor(const at::Tensor&)> bias_fn;
  at::Tensor weight(const at::Tensor& w) const { return weight_fn ? weight_fn(w) : w; }
  at::Tensor bias(const at::Tensor& b) const { return b.defined() && bias_fn ? bias_fn(b) : b; }

  static ParamTransform identity();
  static ParamTransform gamma(double gamma);  ///< W + γW⁺, b + γb⁺
  static ParamTransform positive();           ///< W⁺, b⁺
  static ParamTransform negative();           ///< W⁻, b⁻
  static ParamTransform positive_no_bias();   ///< W⁺, 0
  static ParamTransform negative_no_bias();   ///< W⁻, 0
};

/// The layer's affine part (before its activation) evaluated on `input` with its parameters
/// transformed by t. Must be linear in the transformed parameters and in the input (up to the
/// bias), which every Linear/Conv/GNN aggregation layer is.
using ModifiedForward = std::function<at::Tensor(const at::Tensor& input, const ParamTransform& t)>;

/// The core of the trick: a tensor equal to `output` (exactly, in value) whose gradient flows
/// through `z_mod` scaled by output / stab(z_mod). All three shapes equal.
at::Tensor lrp_detach_trick(const at::Tensor& z_mod, const at::Tensor& output, double epsilon);

/// Applies `rule` to one layer. input: the layer's input (carrying the autograd graph of the
/// earlier layers); output: the layer's real activation act(z) (its value is kept); f: the
/// affine part with transformed parameters. Returns a tensor with output's value whose
/// gradient with respect to input implements the rule. Throws gnnx::Error if the rule is
/// invalid or f returns a shape other than output's.
at::Tensor lrp_forward(const LrpRule& rule, const at::Tensor& input, const at::Tensor& output,
                       const ModifiedForward& f);

/// lrp_forward for y = act(x Wᵀ + b): weight [out, in], bias [out] or undefined, output the
/// activation [*, out].
at::Tensor lrp_linear(const LrpRule& rule, const at::Tensor& input, const at::Tensor& output, const at::Tensor& weight,
                      const at::Tensor& bias);

}  // namespace gnnx::attribution
