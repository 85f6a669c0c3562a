#pragma once
/// Gradient attributions: saliency, gradient × input, guided backpropagation and deconvnet.
/// Conventions as Captum 0.7 (Saliency, InputXGradient, GuidedBackprop, Deconvolution): the
/// gradient is of the target's raw logit, per item.

#include "gnnx/attribution/attributor.h"
#include "gnnx/core/arg.h"

namespace gnnx::attribution {

struct SaliencyOptions {
  /// Return |∂y/∂x| (Simonyan et al., Captum's default); false returns the signed gradient.
  /// Default true.
  GNNX_ARG(bool, abs) = true;
};

/// values = |∂y_c/∂x| (or the signed gradient), one backward pass for all items.
class Saliency : public Attributor {
 public:
  explicit Saliency(SaliencyOptions options = {}) : options_(options) {}
  std::string name() const override { return "saliency"; }
  bool concurrent() const override { return true; }
  std::map<std::string, std::string> options() const override;

 protected:
  Attribution compute(Objective& objective) override;

 private:
  SaliencyOptions options_;
};

/// values = x ⊙ ∂y_c/∂x.
class GradientXInput : public Attributor {
 public:
  std::string name() const override { return "gradxinput"; }
  bool concurrent() const override { return true; }

 protected:
  Attribution compute(Objective& objective) override;
};

/// The modified ReLU backward rules of guided backpropagation and deconvnet.
enum class ReluRule {
  kGuided,  ///< guided backprop: g_in = relu(g_out) · 1[x > 0]
  kDeconv,  ///< deconvnet:      g_in = relu(g_out)
};

/// relu(x) whose backward follows `rule` (a torch::autograd::Function), for layer hooks.
at::Tensor modified_relu(const at::Tensor& x, ReluRule rule);

/// Guided backpropagation (Springenberg et al.) or deconvnet (Zeiler & Fergus): the gradient of
/// the target logit with every ReLU layer of the model's sequential adapter replaced by
/// modified_relu. Needs an objective with layers (ImageModel::sequential or a TorchScript
/// module whose children run in order); as in Captum, only ReLU *layers* are modified (a relu
/// called inside another layer's forward keeps its ordinary backward). Throws gnnx::Error for
/// an opaque model or one without ReLU layers.
class ModifiedReluGradient : public Attributor {
 public:
  explicit ModifiedReluGradient(ReluRule rule) : rule_(rule) {}
  std::string name() const override { return rule_ == ReluRule::kGuided ? "guided-backprop" : "deconvnet"; }
  bool concurrent() const override { return true; }

 protected:
  Attribution compute(Objective& objective) override;

 private:
  ReluRule rule_;
};

class GuidedBackprop : public ModifiedReluGradient {
 public:
  GuidedBackprop() : ModifiedReluGradient(ReluRule::kGuided) {}
};

class Deconvnet : public ModifiedReluGradient {
 public:
  Deconvnet() : ModifiedReluGradient(ReluRule::kDeconv) {}
};

/// The gradient of Σ_m objective.scores(points, items)[m] with respect to points ([M, *item]),
/// i.e. each row's own gradient. Shared by the gradient methods; hook as in Objective::scores.
at::Tensor gradient(Objective& objective, const at::Tensor& points, const at::Tensor& items,
                    const LayerHook* hook = nullptr);

}  // namespace gnnx::attribution
