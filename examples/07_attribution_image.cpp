// 07: attribution maps of a small CNN. A CNN learns whether a bright square sits in the left or
// the right half of a noisy 3x16x16 image; then saliency, integrated gradients, SmoothGrad,
// guided backprop and occlusion explain its decision, and we check how much of each map falls
// on the square. Writes attribution_ig.png (the heatmap over the image).
#include <cstdio>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "gnnx/attribution/gradient.h"
#include "gnnx/attribution/integrated_gradients.h"
#include "gnnx/attribution/noise_tunnel.h"
#include "gnnx/attribution/occlusion.h"
#include "gnnx/core/random.h"
#include "gnnx/io/png.h"

namespace tnn = torch::nn;
using namespace gnnx;
using namespace gnnx::attribution;

// n images with one 4x4 bright square; label 0 = left half, 1 = right half. masks: the square.
void make_data(int64_t n, uint64_t seed, at::Tensor& x, at::Tensor& y, at::Tensor& masks) {
  auto gen = torch_generator(seed);
  Rng rng(seed);
  x = 0.3 * torch::randn({n, 3, 16, 16}, gen);
  y = torch::zeros({n}, torch::kLong);
  masks = torch::zeros({n, 16, 16});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = uniform_int(rng, 0, 1);
    const int64_t col = label == 0 ? uniform_int(rng, 0, 4) : uniform_int(rng, 8, 12);
    const int64_t row = uniform_int(rng, 0, 12);
    using torch::indexing::Slice;
    x.index({i, Slice(), Slice(row, row + 4), Slice(col, col + 4)}) += 1.5;
    masks.index({i, Slice(row, row + 4), Slice(col, col + 4)}) = 1.0;
    y[i] = label;
  }
}

int main() {
  torch::manual_seed(0);
  tnn::Sequential cnn(tnn::Conv2d(tnn::Conv2dOptions(3, 8, 3).padding(1)), tnn::ReLU(), tnn::MaxPool2d(2),
                      tnn::Conv2d(tnn::Conv2dOptions(8, 16, 3).padding(1)), tnn::ReLU(), tnn::Flatten(),
                      tnn::Linear(16 * 8 * 8, 2));
  at::Tensor x, y, masks;
  make_data(256, /*seed=*/1, x, y, masks);
  torch::optim::Adam opt(cnn->parameters(), torch::optim::AdamOptions(3e-3));
  for (int epoch = 0; epoch < 60; ++epoch) {
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(cnn->forward(x), y);
    loss.backward();
    opt.step();
  }
  cnn->eval();
  at::Tensor tx, ty, tmasks;
  make_data(16, /*seed=*/2, tx, ty, tmasks);
  const double acc = (cnn->forward(tx).argmax(1) == ty).to(torch::kFloat).mean().item<double>();
  std::printf("test accuracy: %.3f\n", acc);

  auto model = ImageModel::sequential(cnn);
  std::vector<std::pair<std::string, std::shared_ptr<Attributor>>> methods = {
      {"saliency", std::make_shared<Saliency>()},
      {"ig", std::make_shared<IntegratedGradients>()},
      {"smoothgrad",
       std::make_shared<NoiseTunnel>(std::make_shared<Saliency>(), NoiseTunnelOptions().samples(20).stdev(0.15))},
      {"guided-backprop", std::make_shared<GuidedBackprop>()},
      {"occlusion",
       std::make_shared<Occlusion>(OcclusionOptions().window({3, 4, 4}).strides({3, 2, 2}).perturbations_per_eval(64))},
  };
  // The square covers 16 of 256 pixels (6 %); a map that finds it puts far more mass there.
  std::printf("%-16s %s\n", "method", "share of |attribution| on the square (mean over 16 test images)");
  Attribution ig_result;
  for (auto& [name, method] : methods) {
    auto a = method->attribute(model, tx, std::vector<int64_t>(ty.data_ptr<int64_t>(), ty.data_ptr<int64_t>() + 16));
    auto heat = a.values.abs().sum(1);  // [B, H, W]
    auto share = ((heat * tmasks).sum({1, 2}) / heat.sum({1, 2}).clamp_min(1e-12)).mean().item<double>();
    std::printf("%-16s %.3f\n", name.c_str(), share);
    if (name == "ig") {
      ig_result = a;
      std::printf("%-16s max |delta| = %.2e (completeness residual)\n", "",
                  a.diagnostics["delta"].abs().max().item<double>());
    }
  }
  io::write_png("attribution_ig.png", io::heatmap_overlay(tx[0], ig_result.values[0].abs().sum(0)));
  std::printf("wrote attribution_ig.png\n");
  return 0;
}
