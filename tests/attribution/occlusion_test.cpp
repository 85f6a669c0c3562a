// Occlusion on a linear model against the closed form, with Captum's window count and
// cropping at the border.
#include "gnnx/attribution/occlusion.h"

#include <algorithm>
#include <string>

#include <torch/torch.h>

#include "gnnx/io/tensor_file.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::attribution;
namespace tnn = torch::nn;

TEST_CASE("occlusion on a linear model equals the closed form, Captum's window count and cropping", "[attribution]") {
  // f(x) = Σ w ⊙ x over [C=2, H=4, W=5], class 0; occluding window W with baseline β changes
  // f by Σ_{i∈W} w_i (x_i − β). Windows [1, 2, 2] with strides [1, 1, 2]: along W the
  // positions are 0, 2, 4 (ceil((5-2)/2) + 1 = 3), the last one cropped to one column.
  torch::manual_seed(5);
  auto lin = tnn::Linear(40, 1);
  lin->to(torch::kDouble);
  auto model = ImageModel::sequential(tnn::Sequential(tnn::Flatten(), lin));
  auto x = torch::randn({2, 2, 4, 5}, torch::kDouble);
  auto w = lin->weight.detach().view({2, 4, 5});
  const double beta = 0.5;
  // -1 (the default): every window of these items in one pass.
  for (int64_t ppe : {1, 4, -1}) {
    auto r = Occlusion(
                 OcclusionOptions().window({1, 2, 2}).strides({1, 1, 2}).baseline(beta).perturbations_per_eval(ppe))
                 .attribute(model, x, {0});
    for (int64_t b = 0; b < 2; ++b) {
      auto total = torch::zeros({2, 4, 5}, torch::kDouble), count = torch::zeros({2, 4, 5}, torch::kDouble);
      for (int64_t c = 0; c < 2; ++c)
        for (int64_t h = 0; h + 2 <= 4; ++h)
          for (int64_t v : {0, 2, 4}) {
            // Views, not a std::vector<TensorIndex>: copying LibTorch 1.13's TensorIndex reads a
            // member its integer constructor leaves unset, which UBSan reports.
            const int64_t width = std::min<int64_t>(v + 2, 5) - v;
            auto win = [&](const at::Tensor& t) { return t.select(0, c).narrow(0, h, 2).narrow(1, v, width); };
            double diff = (win(w) * (win(x[b]) - beta)).sum().item<double>();
            win(total) += diff;
            win(count) += 1;
          }
      GNNX_REQUIRE_CLOSE(r.values[b], total / count, 1e-12, 1e-12);
    }
  }
  // Single-feature windows: exactly w_i (x_i − β).
  auto r1 = Occlusion(OcclusionOptions().baseline(beta)).attribute(model, x, {0});
  GNNX_REQUIRE_CLOSE(r1.values, w.unsqueeze(0) * (x - beta), 1e-12, 1e-12);
  // Window -1 spans the whole dimension: every feature of a channel gets the channel's total.
  auto r2 = Occlusion(OcclusionOptions().window({1, -1, -1})).attribute(model, x, {0});
  GNNX_REQUIRE_CLOSE(r2.values, (w.unsqueeze(0) * x).sum({2, 3}, true).expand_as(x), 1e-12, 1e-12);
  for (int64_t ppe : {0, -2})
    GNNX_REQUIRE_ERROR("Occlusion: perturbations_per_eval must be >= 1 or -1 (automatic), got " + std::to_string(ppe),
                       Occlusion(OcclusionOptions().perturbations_per_eval(ppe)).attribute(model, x, {0}));
}

TEST_CASE(
    "occlusion through a CNN's layers, convolutions recomputed only where a window reaches, equals the whole model",
    "[attribution]") {
  // Strided, dilated, grouped and padded convolutions, max and average pooling with padding,
  // eval-mode batch norm, then layers that stop the tracking (adaptive pooling, flatten, linear).
  torch::manual_seed(7);
  tnn::BatchNorm2d bn(8);
  auto seq = tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(3, 8, 3).padding(1)), bn, tnn::ReLU(),
                             tnn::MaxPool2d(tnn::MaxPool2dOptions(3).stride(2).padding(1)),
                             tnn::Conv2d(tnn::Conv2dOptions(8, 8, 3).padding(2).dilation(2).groups(2)), tnn::ReLU(),
                             tnn::Conv2d(tnn::Conv2dOptions(8, 6, 3).stride(2).padding(1)), tnn::ReLU(),
                             tnn::AvgPool2d(tnn::AvgPool2dOptions(2).padding(1)),
                             tnn::AdaptiveAvgPool2d(tnn::AdaptiveAvgPool2dOptions(1)), tnn::Flatten(),
                             tnn::Linear(6, 4));
  seq->to(torch::kDouble);
  {
    torch::NoGradGuard ng;
    bn->running_mean.uniform_(-0.5, 0.5);
    bn->running_var.uniform_(0.5, 2.0);
  }
  seq->eval();
  auto layered = ImageModel::sequential(seq);
  auto opaque = ImageModel::function([seq](const at::Tensor& x) mutable { return seq->forward(x); }, "opaque");
  auto x = torch::randn({2, 3, 19, 17}, torch::kDouble);
  struct Case {
    std::vector<int64_t> window, strides;
    int64_t ppe;
  };
  for (const auto& c : {Case{{3, 4, 4}, {3, 2, 3}, -1}, Case{{3, 8, 8}, {3, 4, 4}, 5}, Case{{3, 8, 8}, {3, 4, 4}, 1},
                        Case{{1, 3, 2}, {1, 3, 2}, -1}, Case{{3, 19, 1}, {3, 1, 1}, 7}, Case{{}, {1}, -1}}) {
    INFO("window " << Catch::Detail::stringify(c.window) << " strides " << Catch::Detail::stringify(c.strides));
    auto options = OcclusionOptions().window(c.window).strides(c.strides).baseline(0.3).perturbations_per_eval(c.ppe);
    auto ours = Occlusion(options).attribute(layered, x, {1, 3});
    auto whole = Occlusion(options).attribute(opaque, x, {1, 3});
    GNNX_REQUIRE_CLOSE(ours.values, whole.values, 1e-9, 1e-12);
    // One item in channels-last layout (the unoccluded activations are then shared by every row
    // of a pass, and with one window per pass a row is laid out as they are).
    auto one = Occlusion(options).attribute(layered, x.narrow(0, 1, 1).contiguous(at::MemoryFormat::ChannelsLast), {3});
    GNNX_REQUIRE_CLOSE(one.values, whole.values.narrow(0, 1, 1), 1e-9, 1e-12);
  }
}

TEST_CASE("occlusion through a TorchScript CNN's layers equals the whole scripted model", "[attribution]") {
  // scripts/make_tiny_cnn.py's CNN: convolution, ReLU, max pooling, convolution, ReLU, adaptive
  // pooling, flatten, linear, scripted; its own forward behind an opaque function is the reference.
  auto scripted = ImageModel::load(std::string(GNNX_SOURCE_DIR) + "/tests/data/tiny_cnn.pt");
  auto opaque = ImageModel::function([scripted](const at::Tensor& t) { return scripted.forward(t); }, "opaque");
  auto x = io::load_tensor(std::string(GNNX_SOURCE_DIR) + "/tests/data/tiny_cnn_input.pt");
  for (const auto& window : {std::vector<int64_t>{3, 3, 3}, std::vector<int64_t>{1, 2, 5}}) {
    INFO("window " << Catch::Detail::stringify(window));
    auto options = OcclusionOptions().window(window).strides({1, 2, 2}).baseline(0.1);
    GNNX_REQUIRE_CLOSE(Occlusion(options).attribute(scripted, x, {2}).values,
                       Occlusion(options).attribute(opaque, x, {2}).values, 1e-4, 1e-6);
  }
}
