#pragma once
/// Layer-wise relevance propagation for CNNs (Bach et al. 2015; Montavon et al. 2019), as an
/// Attributor over an image model's layers (see attributor.h), built on the shared rule
/// primitives of gnnx/attribution/lrp_rules.h (ε, γ, z⁺, αβ: lrp_forward) plus two input-layer
/// rules defined here on the same detach trick (lrp_detach_trick):
///   flat   p = f(1; 1, 0): the relevance spreads evenly over the receptive field; the input's
///          relevance is ∂/∂ones (Zennit's Flat: gradient only, no input factor).
///   z^B    p = f(x; W, b) − f(l; W⁺, b⁺) − f(h; W⁻, b⁻) for inputs bounded by l ≤ x ≤ h; the
///          input's relevance is x ⊙ ∂/∂x + l ⊙ ∂/∂l + h ⊙ ∂/∂h (Zennit's ZBox).
///
/// Implementation: the deck's trick. Each Conv2d / Linear layer's output z is replaced by a
/// tensor equal to z whose gradient is p's scaled by z / stab(p), which turns the backward pass
/// into the rule's relevance messages; the relevance of the input is then input × gradient
/// (plus the z^B bound terms, or the gradient alone for flat). Per layer kind, following
/// Zennit's default layer map:
///   Conv2d, Linear       the composite's rule (flat and z^B on the first Conv2d/Linear only)
///   BatchNorm2d/1d       merged into the preceding Conv2d/Linear (merge_batchnorm's formula)
///   ReLU, MaxPool2d      the plain gradient (relevance passes through the ReLU / to the argmax)
///   AvgPool2d, AdaptiveAvgPool2d   Zennit's Norm rule (ε rule without parameters, ε = 1e-6)
///   Flatten, Dropout (eval)        pass
///   anything else        gnnx::Error
///
/// Output relevance. By default the explained logit y_c itself is propagated (R_out = y_c), so
/// that with ε → 0 and no biases Σ R_input = y_c (conservation). Zennit's attributors instead
/// start from the one-hot gradient (R_out = 1): set OutputRelevance::kOne to get Zennit's
/// numbers exactly; the two differ by the factor y_c/stab(y_c) of the last layer.

#include <cstdint>
#include <map>
#include <string>

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/container/sequential.h>

#include "gnnx/attribution/attributor.h"
#include "gnnx/attribution/lrp_rules.h"
#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"

namespace gnnx::attribution {

/// The rule of one Conv2d/Linear layer: a shared rule (lrp_rules.h) or an input-layer rule.
struct LayerRule {
  enum class Kind {
    kShared,  ///< `rule` (ε, γ, z⁺, αβ)
    kFlat,    ///< flat (input layer only)
    kZBox,    ///< z^B with bounds [low, high] (input layer only)
  };
  Kind kind = Kind::kShared;
  LrpRule rule = LrpRule::eps();
  double low = 0.0, high = 1.0;

  LayerRule() = default;
  /// A shared rule (implicit, so that an LrpRule can be given wherever a LayerRule is expected).
  LayerRule(const LrpRule& r) : rule(r) {}  // NOLINT(google-explicit-constructor)
  static LayerRule flat();
  /// Throws gnnx::Error unless low < high.
  static LayerRule zbox(double low, double high);
  bool input_layer_only() const { return kind != Kind::kShared; }
};

/// "epsilon[:ε]", "gamma[:γ]", "zplus", "alphabeta[:α,β]", "flat", "zbox:low,high" (defaults
/// ε = 1e-6, γ = 0.25, α,β = 2,1; γ, z⁺, αβ stabilise with 1e-6). Throws gnnx::Error otherwise.
LayerRule layer_rule_from_string(const std::string& spec);
/// The spec layer_rule_from_string reads back ("gamma:0.25").
std::string to_string(const LayerRule& rule);

/// Per-layer rules by layer name.
using LrpRuleMap = std::map<std::string, LayerRule>;

/// Rules per layer. Precedence: by_name, then first (the first Conv2d/Linear), then conv / dense.
struct LrpComposite {
  /// Rule of the first Conv2d/Linear layer. Default ε = 1e-6.
  GNNX_ARG(LayerRule, first) = LrpRule::eps();
  /// Rule of the other Conv2d layers. Default ε = 1e-6.
  GNNX_ARG(LayerRule, conv) = LrpRule::eps();
  /// Rule of the other Linear layers. Default ε = 1e-6.
  GNNX_ARG(LayerRule, dense) = LrpRule::eps();
  /// Per-layer overrides by layer name. Default none.
  GNNX_ARG(LrpRuleMap, by_name) = {};

 public:
  /// One rule everywhere.
  static LrpComposite uniform(const LayerRule& rule);
  /// Zennit's EpsilonGammaBox: z^B(low, high) first, γ = 0.25 on convolutions, ε = 1e-6 on dense.
  static LrpComposite epsilon_gamma_box(double low, double high);
  /// Zennit's EpsilonPlus: z⁺ on convolutions, ε on dense (first layer: z⁺).
  static LrpComposite epsilon_plus();
  /// Zennit's EpsilonPlusFlat: flat first, z⁺ on convolutions, ε on dense.
  static LrpComposite epsilon_plus_flat();
  /// Zennit's EpsilonAlpha2Beta1: α2β1 on convolutions, ε on dense.
  static LrpComposite epsilon_alpha2_beta1();
  /// Zennit's EpsilonAlpha2Beta1Flat: flat first, α2β1 on convolutions, ε on dense.
  static LrpComposite epsilon_alpha2_beta1_flat();

  /// The rule of layer `name`, the first parameterised layer when first_layer.
  const LayerRule& rule_for(const std::string& name, LayerKind kind, bool first_layer) const;
};

/// "epsilon-gamma-box[:low,high]" (default box -3,3), "epsilon-plus", "epsilon-plus-flat",
/// "epsilon-alpha2-beta1", "epsilon-alpha2-beta1-flat", or a rule spec (layer_rule_from_string)
/// used everywhere; optionally followed by per-layer overrides ";name=rule;name=rule".
LrpComposite lrp_composite_from_string(const std::string& spec);

/// What the output layer's relevance is.
enum class OutputRelevance {
  kLogit,  ///< R_out = the explained logit (conservation: Σ R = y_c when ε → 0, no bias)
  kOne,    ///< R_out = 1 (Zennit's one-hot attr_output)
};
GNNX_ENUM_NAMES(OutputRelevance, "lrp output", {OutputRelevance::kLogit, "logit"}, {OutputRelevance::kOne, "one"});

struct LrpOptions {
  /// The rules. Default ε = 1e-6 everywhere.
  GNNX_ARG(LrpComposite, composite) = LrpComposite::uniform(LrpRule::eps());
  /// The starting relevance. Default the logit.
  GNNX_ARG(OutputRelevance, output) = OutputRelevance::kLogit;
};

/// LRP (registry name "lrp"). values: relevance of the input [B, C, H, W] (or [B, F] for a
/// dense model); diagnostics["output"]: the explained logits [B].
class LrpAttributor : public Attributor {
 public:
  explicit LrpAttributor(LrpOptions options = {}) : options_(std::move(options)) {}
  std::string name() const override { return "lrp"; }
  std::map<std::string, std::string> options() const override;

 protected:
  Attribution compute(Objective& objective) override;

 private:
  LrpOptions options_;
};

/// A copy of seq (its top-level children) with every BatchNorm2d/BatchNorm1d that follows a
/// Conv2d/Linear folded into it
/// (W' = W·γ/√(σ²+eps), b' = (b − μ)·γ/√(σ²+eps) + β, with running statistics) and removed. The
/// forward output in eval mode is unchanged. Throws gnnx::Error for a batch norm with no such
/// predecessor.
torch::nn::Sequential merge_batchnorm(const torch::nn::Sequential& seq);

}  // namespace gnnx::attribution
