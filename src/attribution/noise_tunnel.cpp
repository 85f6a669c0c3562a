// SmoothGrad and the noise tunnel, Captum 0.7's NoiseTunnel (see the header).
#include "gnnx/attribution/noise_tunnel.h"

#include <cmath>

#include <torch/torch.h>

#include "attribution/option_text.h"
#include "gnnx/core/check.h"
#include "gnnx/core/random.h"

namespace gnnx::attribution {

namespace {
// The inner objective of the noise tunnel: B·S noisy points, row b·S + s scoring item b.
class NoisyObjective : public Objective {
 public:
  NoisyObjective(Objective& inner, at::Tensor noisy, int64_t samples)
      : inner_(inner), noisy_(std::move(noisy)), s_(samples) {
    for (const auto& t : inner.targets())
      for (int64_t i = 0; i < s_; ++i) targets_.push_back(t);
  }
  at::Tensor input() const override { return noisy_; }
  const std::vector<Target>& targets() const override { return targets_; }
  at::Tensor scores(const at::Tensor& inputs, const at::Tensor& items, const LayerHook* hook) override {
    return inner_.scores(inputs, items.div(s_, "floor"), hook);
  }
  const std::vector<Layer>& layers() const override { return inner_.layers(); }
  void check_layers(const at::Tensor& inputs) const override { inner_.check_layers(inputs); }
  std::string kind() const override { return inner_.kind(); }

 private:
  Objective& inner_;
  at::Tensor noisy_;
  int64_t s_;
  std::vector<Target> targets_;
};
}  // namespace

NoiseTunnel::NoiseTunnel(std::shared_ptr<Attributor> base, NoiseTunnelOptions options)
    : base_(std::move(base)), options_(std::move(options)) {
  GNNX_CHECK(base_ != nullptr, "NoiseTunnel: expected a base attributor");
  GNNX_CHECK(options_.samples() >= 1, "NoiseTunnel: samples must be >= 1, got ", options_.samples());
  GNNX_CHECK(options_.stdev() >= 0 && std::isfinite(options_.stdev()), "NoiseTunnel: stdev must be >= 0, got ",
             options_.stdev());
}

std::string NoiseTunnel::name() const {
  if (base_->name() == "saliency") return "smoothgrad";
  return "noise-tunnel(" + base_->name() + ")";
}

std::map<std::string, std::string> NoiseTunnel::options() const {
  auto o = base_->options();
  o["type"] = to_string(options_.type());
  o["samples"] = std::to_string(options_.samples());
  o["stdev"] = detail::number_text(options_.stdev());
  o["seed"] = std::to_string(options_.seed());
  if (options_.noise().defined()) o["noise"] = "supplied";
  return o;
}

at::Tensor NoiseTunnel::draw(const std::vector<int64_t>& shape, const at::Tensor& like) const {
  // Larger draws are not kept: there the model's passes outweigh the draw, and a kept copy
  // would hold S copies of the input between calls.
  constexpr int64_t kKeptValues = int64_t{1} << 22;
  std::lock_guard<std::mutex> lock(drawn_->mutex);
  const auto& kept = drawn_->noise;
  if (kept.defined() && drawn_->shape == shape && kept.scalar_type() == like.scalar_type() &&
      kept.device() == like.device())
    return kept;
  // Captum's draw: torch.normal(0, stdev tensor of torch's default dtype, float32) over
  // [B*S, *item] at once, which is randn(...) * stdev; then the input's dtype and device.
  auto gen = torch_generator(options_.seed());
  auto noise = torch::randn(shape, gen, torch::TensorOptions().dtype(torch::kFloat))
                   .mul_(options_.stdev())
                   .to(like.device(), like.scalar_type());
  if (noise.numel() <= kKeptValues) {
    drawn_->shape = shape;
    drawn_->noise = noise;
  }
  return noise;
}

Attribution NoiseTunnel::compute(Objective& objective) {
  auto x = objective.input();
  const int64_t b = x.size(0);
  std::vector<int64_t> item(x.sizes().begin() + 1, x.sizes().end());
  at::Tensor noise;
  int64_t s = options_.samples();
  if (options_.noise().defined()) {
    auto n = options_.noise().to(x.options());
    const bool per_item = n.dim() == x.dim() + 1 && n.size(0) == b && n.sizes().slice(2) == x.sizes().slice(1);
    const bool flat = n.dim() == x.dim() && n.sizes().slice(1) == x.sizes().slice(1) && n.size(0) % b == 0 &&
                      n.size(0) > 0;
    GNNX_CHECK(per_item || flat, "NoiseTunnel: supplied noise must be [B, S, *item] or [B*S, *item] for input ",
               x.sizes(), ", got ", n.sizes());
    s = per_item ? n.size(1) : n.size(0) / b;
    GNNX_CHECK(s >= 1, "NoiseTunnel: supplied noise has no samples");
    std::vector<int64_t> shape{b * s};
    shape.insert(shape.end(), item.begin(), item.end());
    noise = n.reshape(shape);
  } else {
    std::vector<int64_t> shape{b * s};
    shape.insert(shape.end(), item.begin(), item.end());
    noise = draw(shape, x);
  }
  // Row b·S + s: item b, sample s (Captum's layout), each x_b + noise in one broadcast sum.
  std::vector<int64_t> per_item{b, s};
  per_item.insert(per_item.end(), item.begin(), item.end());
  std::vector<int64_t> rows{b * s};
  rows.insert(rows.end(), item.begin(), item.end());
  auto noisy = (x.unsqueeze(1) + noise.view(per_item)).view(rows);
  NoisyObjective inner(objective, noisy, s);
  Attribution ia = base_->attribute(inner);
  // The base method's own layout per point ([B*S, *item] unless its options choose another).
  std::vector<int64_t> split{b, s};
  split.insert(split.end(), ia.values.sizes().begin() + 1, ia.values.sizes().end());
  auto v = ia.values.view(split);
  Attribution a;
  switch (options_.type()) {
    case NoiseTunnelType::kSmoothGrad: a.values = v.mean(1); break;
    case NoiseTunnelType::kSmoothGradSq: a.values = v.square().mean(1); break;
    case NoiseTunnelType::kVarGrad: a.values = v.square().mean(1) - v.mean(1).square(); break;
  }
  for (const auto& [key, d] : ia.diagnostics) a.diagnostics[key] = d.numel() == b * s ? d.reshape({b, s}) : d;
  return a;
}

}  // namespace gnnx::attribution
