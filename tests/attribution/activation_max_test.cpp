// Activation maximisation: monotone ascent on a convex toy model, a hidden unit, the code-space
// parametrisation and the attributor.
#include "gnnx/attribution/activation_max.h"

#include <torch/torch.h>

#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx::attribution;
namespace tnn = torch::nn;

TEST_CASE("activation maximisation increases the target score monotonically on a convex toy model",
          "[activation_max]") {
  // S(x) = w . x + b is linear, so S(x) - lambda |x|^2 is concave: small Adam steps from zero
  // climb it monotonically, towards x* = w / (2 lambda).
  tnn::Linear lin(tnn::LinearOptions(6, 2));
  {
    torch::NoGradGuard ng;
    lin->weight.copy_(torch::tensor({{1.0f, -2.0f, 0.5f, 0.0f, 3.0f, -1.0f}, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}}));
    lin->bias.zero_();
  }
  auto model = ImageModel::sequential(tnn::Sequential({{"flatten", tnn::Flatten()}, {"fc", lin}}));
  auto r = maximize_activation(model, {1, 2, 3}, ActivationMaxOptions().unit(0).steps(60).lr(0.01).l2(0.1));
  REQUIRE(r.objective.size(0) == 61);
  auto diff = r.objective.slice(0, 1) - r.objective.slice(0, 0, -1);
  INFO("objective " << r.objective);
  REQUIRE(diff.min().item<double>() > 0);
  REQUIRE(r.score[-1].item<double>() > r.score[0].item<double>());
  // Gradient ascent moves each pixel along the sign of its weight.
  auto flat = r.input.flatten();
  REQUIRE(flat[0].item<double>() > 0);
  REQUIRE(flat[1].item<double>() < 0);
  REQUIRE(flat[3].item<double>() == Approx(0).margin(1e-6));

  // A hidden unit of a layer, from noise, with jitter and blur: the unit's activation grows.
  torch::manual_seed(0);
  auto cnn = tnn::Sequential({{"conv", tnn::Conv2d(tnn::Conv2dOptions(1, 2, 3).padding(1))},
                              {"relu", tnn::ReLU()},
                              {"gap", tnn::AdaptiveAvgPool2d(tnn::AdaptiveAvgPool2dOptions(1))},
                              {"flatten", tnn::Flatten()},
                              {"fc", tnn::Linear(2, 2)}});
  auto unit = maximize_activation(ImageModel::sequential(cnn), {1, 8, 8},
                                  ActivationMaxOptions()
                                      .layer("conv")
                                      .unit(1)
                                      .steps(40)
                                      .init(AscentInit::kNoise)
                                      .jitter(1)
                                      .blur_sigma(0.5)
                                      .seed(3));
  REQUIRE(unit.score[-1].item<double>() > unit.score[0].item<double>());

  // Code space: g(z) = z.view(1, 2, 3) is the identity parametrisation: same as input space.
  auto code = maximize_in_code_space(
      model,
      [](const at::Tensor& z) {
        return z.view({1, 1, 2, 3});
      },
      {6}, ActivationMaxOptions().unit(0).steps(60).lr(0.01).l2(0.1));
  GNNX_REQUIRE_CLOSE(code.input, r.input, 1e-5, 1e-6);
  REQUIRE(code.code.sizes() == torch::IntArrayRef({1, 6}));

  // As an attributor: the class visualisation of each item's target.
  auto a = ActivationMaxAttributor(ActivationMaxOptions().steps(60).lr(0.01).l2(0.1))
               .attribute(model, torch::zeros({2, 1, 2, 3}), {0, 1});
  GNNX_REQUIRE_CLOSE(a.values[0], r.input[0], 1e-5, 1e-6);

  GNNX_REQUIRE_ERROR("lr", maximize_activation(model, {1, 2, 3}, ActivationMaxOptions().lr(0)));
  GNNX_REQUIRE_ERROR("nope", maximize_activation(model, {1, 2, 3}, ActivationMaxOptions().layer("nope")));
  GNNX_REQUIRE_ERROR("out of range", maximize_activation(model, {1, 2, 3}, ActivationMaxOptions().unit(5)));
  GNNX_REQUIRE_ERROR("init", gnnx::from_name<gnnx::attribution::AscentInit>("ones"));
}
