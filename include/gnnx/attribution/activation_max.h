#pragma once
/// Activation maximisation (class model visualisation; Simonyan et al. 2014, Erhan et al. 2009):
///
///   x* = argmax_x S(x) - λ‖x‖²
///
/// by gradient ascent with Adam from zeros or seeded Gaussian noise, where S is a class logit or
/// the mean activation of one channel (one unit of a [B, K] layer) of a chosen layer. Optional
/// regularisers, as in the feature-visualisation literature: a Gaussian blur of x every few
/// steps and a random jitter (x is rolled by up to `jitter` pixels before each forward pass).
/// In code space (Nguyen et al. 2016) a user generator g maps a code z to an input:
///   z* = argmax_z S(g(z)) - λ‖z‖²,  x* = g(z*).
///
/// ActivationMaxAttributor ("activation-max") is the class visualisation as an Attributor:
/// values[b] is the input maximising item b's target logit (it depends on the input's shape
/// and the target, not on the input's values), so that the command line and the benchmark can
/// treat it like the other methods.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/attribution/attributor.h"
#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"

namespace gnnx::attribution {

/// Where the ascent starts.
enum class AscentInit { kZeros, kNoise };
GNNX_ENUM_NAMES(AscentInit, "activation-max init", {AscentInit::kZeros, "zeros"}, {AscentInit::kNoise, "noise"});

struct ActivationMaxOptions {
  /// Layer whose unit is maximised; "" = the model's output logits. Default "".
  GNNX_ARG(std::string, layer) = "";
  /// The class (output) or unit: channel of a [B, K, h, w] layer output (its spatial mean is
  /// maximised) or column of a [B, K] output. Default 0.
  GNNX_ARG(int64_t, unit) = 0;
  /// Adam steps. Default 200.
  GNNX_ARG(int64_t, steps) = 200;
  /// Adam learning rate. Default 0.05.
  GNNX_ARG(double, lr) = 0.05;
  /// λ of the L2 penalty λ‖x‖² (per image). Default 1e-3.
  GNNX_ARG(double, l2) = 1e-3;
  /// Start from zeros or from N(0, noise_std²). Default zeros.
  GNNX_ARG(AscentInit, init) = AscentInit::kZeros;
  /// Standard deviation of the starting noise. Default 0.1.
  GNNX_ARG(double, noise_std) = 0.1;
  /// Gaussian blur σ in pixels applied every blur_every steps; 0 disables. Default 0.
  GNNX_ARG(double, blur_sigma) = 0.0;
  /// Steps between blurs. Default 4.
  GNNX_ARG(int64_t, blur_every) = 4;
  /// Maximum random roll in pixels (each axis) before each forward pass; 0 disables. Default 0.
  GNNX_ARG(int64_t, jitter) = 0;
  /// Seed of the starting noise and of the jitter. Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
};

struct ActivationMaxResult {
  at::Tensor input;      ///< [1, *shape]: the maximising input (x*, or g(z*) in code space)
  at::Tensor code;       ///< [1, *code] in code space (z*), undefined otherwise
  at::Tensor score;      ///< [steps + 1] S at each iterate (before each step, and at the end)
  at::Tensor objective;  ///< [steps + 1] S - λ‖·‖² at each iterate (without jitter)
};

/// Maximises the unit over float32 inputs of shape [1, *input_shape] (e.g. {3, 32, 32}) on
/// `device` (where the model lives). Requires model layers when options.layer is set.
ActivationMaxResult maximize_activation(const ImageModel& model, const std::vector<int64_t>& input_shape,
                                        const ActivationMaxOptions& options = {},
                                        c10::Device device = c10::Device(c10::kCPU));

/// The same over float32 codes z of shape [1, *code_shape], the input being generator(z) (a
/// differentiable function, e.g. a torch::nn module's forward). The penalty is λ‖z‖²; the blur
/// (when σ > 0) is applied to g(z) inside the objective, the jitter rolls g(z).
ActivationMaxResult maximize_in_code_space(const ImageModel& model,
                                           const std::function<at::Tensor(const at::Tensor&)>& generator,
                                           const std::vector<int64_t>& code_shape,
                                           const ActivationMaxOptions& options = {},
                                           c10::Device device = c10::Device(c10::kCPU));

/// Class visualisation per item (registry name "activation-max"); options.layer and unit are
/// ignored: the unit is each item's target logit.
class ActivationMaxAttributor : public Attributor {
 public:
  explicit ActivationMaxAttributor(ActivationMaxOptions options = {}) : options_(std::move(options)) {}
  std::string name() const override { return "activation-max"; }
  std::map<std::string, std::string> options() const override;

 protected:
  Attribution compute(Objective& objective) override;

 private:
  ActivationMaxOptions options_;
};

/// Gaussian blur of x [B, C, H, W] with σ (kernel radius ceil(2σ), replicate padding).
at::Tensor gaussian_blur(const at::Tensor& x, double sigma);

}  // namespace gnnx::attribution
