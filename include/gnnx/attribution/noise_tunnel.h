#pragma once
/// SmoothGrad and the noise tunnel (Smilkov et al. 2017; Captum's NoiseTunnel): any attributor
/// evaluated at S noisy copies x + ε_s, ε_s ~ N(0, σ²), and aggregated per item:
///   smoothgrad     mean_s a_s
///   smoothgrad_sq  mean_s a_s²
///   vargrad        mean_s a_s² − (mean_s a_s)²
/// All S × B noisy points go to the inner method as one objective (one batch), as in Captum.
///
/// The drawn noise is Captum's: for a CPU input, NoiseTunnelOptions().seed(k) draws the numbers
/// that Captum's NoiseTunnel.attribute draws after torch.manual_seed(k) (one float32 draw of
/// shape [B*S, *item], row b·S + s for item b, sample s: torch::randn with
/// gnnx::torch_generator(k), times σ), so the two agree to rounding. On another device the noise
/// is still drawn on the CPU and moved.
///
/// The draw depends only on the seed, σ and the shape, never on the input's values, so a
/// NoiseTunnel keeps its last draw (up to 2^22 values) and reuses it while those stay the same:
/// attributing many items of one shape one after another draws the noise once. Its copies share
/// that draw; calls from several threads are safe.

#include <memory>
#include <mutex>
#include <vector>

#include "gnnx/attribution/attributor.h"
#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"

namespace gnnx::attribution {

enum class NoiseTunnelType { kSmoothGrad, kSmoothGradSq, kVarGrad };
GNNX_ENUM_NAMES(NoiseTunnelType, "noise tunnel type", {NoiseTunnelType::kSmoothGrad, "smoothgrad"},
                {NoiseTunnelType::kSmoothGradSq, "smoothgrad_sq"}, {NoiseTunnelType::kVarGrad, "vargrad"});

struct NoiseTunnelOptions {
  /// Aggregation. Default smoothgrad.
  GNNX_ARG(NoiseTunnelType, type) = NoiseTunnelType::kSmoothGrad;
  /// Number of noisy samples S. Default 5 (Captum's nt_samples).
  GNNX_ARG(int64_t, samples) = 5;
  /// Noise standard deviation σ, absolute (Captum's stdevs; the SmoothGrad paper uses 10–20 % of
  /// the input range). Default 1.0 (Captum's).
  GNNX_ARG(double, stdev) = 1.0;
  /// Seed of the noise (gnnx::torch_generator, CPU, float32 as torch.manual_seed(seed) then
  /// Captum's draw; then converted to the input's dtype and device). Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
  /// Caller-supplied noise [B, S, *item] or [B*S, *item] (row b·S + s: item b, sample s); when
  /// defined it replaces the drawn noise and S is taken from it. Default undefined.
  GNNX_ARG(at::Tensor, noise);
};

class NoiseTunnel : public Attributor {
 public:
  /// base: the method evaluated at the noisy points (saliency for SmoothGrad).
  NoiseTunnel(std::shared_ptr<Attributor> base, NoiseTunnelOptions options = {});
  /// "smoothgrad" over saliency; "noise-tunnel(<base>)" otherwise.
  std::string name() const override;
  std::map<std::string, std::string> options() const override;
  /// The base method's.
  bool values_match_input() const override { return base_->values_match_input(); }
  /// The base method's (the kept draw is guarded).
  bool concurrent() const override { return base_->concurrent(); }

 protected:
  Attribution compute(Objective& objective) override;

 private:
  // The drawn noise of the last call, keyed by its shape, dtype and device (seed and σ are
  // fixed options).
  struct Drawn {
    std::mutex mutex;
    std::vector<int64_t> shape;
    at::Tensor noise;
  };
  at::Tensor draw(const std::vector<int64_t>& shape, const at::Tensor& like) const;

  std::shared_ptr<Attributor> base_;
  NoiseTunnelOptions options_;
  std::shared_ptr<Drawn> drawn_ = std::make_shared<Drawn>();
};

}  // namespace gnnx::attribution
