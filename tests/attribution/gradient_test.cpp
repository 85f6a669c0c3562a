// The gradient methods against closed forms: saliency and gradient × input equal the analytic
// gradient of a hand-built network; guided backprop and deconvnet follow their ReLU rules.
#include "gnnx/attribution/gradient.h"

#include <torch/torch.h>

#include "support/catch.h"
#include "support/tanh_net.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::attribution;
using gnnx::test::TanhNet;
namespace tnn = torch::nn;

TEST_CASE("saliency and gradient x input equal the analytic gradient of a hand-built network", "[attribution]") {
  TanhNet net;
  auto model = ImageModel::sequential(net.seq);
  auto x = torch::randn({3, 4}, torch::kDouble);
  std::vector<int64_t> labels{2, 0, 1};
  auto g = net.gradient(x, labels);
  GNNX_REQUIRE_CLOSE(Saliency().attribute(model, x, labels).values, g.abs(), 1e-12, 1e-12);
  GNNX_REQUIRE_CLOSE(Saliency(SaliencyOptions().abs(false)).attribute(model, x, labels).values, g, 1e-12, 1e-12);
  GNNX_REQUIRE_CLOSE(GradientXInput().attribute(model, x, labels).values, g * x, 1e-12, 1e-12);
  auto r = Saliency().attribute(model, x, {-1});
  auto predicted = net.seq->forward(x).argmax(1);
  for (int64_t b = 0; b < 3; ++b) CHECK(r.targets[static_cast<size_t>(b)].label == predicted[b].item<int64_t>());
  CHECK(r.method == "saliency");
  CHECK(r.options.at("abs") == "true");
}

TEST_CASE("guided backprop and deconvnet on a hand-made ReLU network", "[attribution]") {
  // x (3) -> Linear W1 (4x3), b1 -> ReLU -> Linear W2 (2x4) -> logits.
  auto l1 = tnn::Linear(3, 4), l2 = tnn::Linear(4, 2);
  {
    torch::NoGradGuard no_grad;
    l1->weight.copy_(torch::tensor({{1.0, -1.0, 0.5}, {-2.0, 1.0, 1.0}, {0.5, 0.5, -1.0}, {1.0, 2.0, 1.0}}));
    l1->bias.copy_(torch::tensor({0.0, 0.5, -0.25, -5.0}));
    l2->weight.copy_(torch::tensor({{1.0, -2.0, 3.0, 1.0}, {-1.0, 1.0, -0.5, 2.0}}));
    l2->bias.zero_();
  }
  auto model = ImageModel::sequential(tnn::Sequential(l1, tnn::ReLU(), l2));
  auto x = torch::tensor({{1.0, 0.5, 1.0}, {-1.0, 2.0, 0.5}});
  // Pre-activations: row 0: [1.0, -0.5, -0.25, -1.0] (only unit 0 active);
  //                  row 1: [-2.5, 5.5, -0.25, -0.5] (only unit 1 active).
  auto z = x.matmul(l1->weight.t().detach()) + l1->bias.detach();
  auto on = (z > 0).to(torch::kFloat);
  REQUIRE(on.equal(torch::tensor({{1.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f, 0.0f}})));
  for (int64_t c : {0, 1}) {
    auto w2c = l2->weight[c].detach();  // gradient at the ReLU output
    auto W1 = l1->weight.detach();
    auto plain = (w2c * on).matmul(W1);                        // ordinary gradient
    auto guided = (w2c.clamp_min(0) * on).matmul(W1);          // relu(g) · 1[z > 0]
    auto deconv = w2c.clamp_min(0).matmul(W1).expand({2, 3});  // relu(g), input-independent here
    GNNX_REQUIRE_CLOSE(Saliency(SaliencyOptions().abs(false)).attribute(model, x, {c}).values, plain);
    GNNX_REQUIRE_CLOSE(GuidedBackprop().attribute(model, x, {c}).values, guided);
    GNNX_REQUIRE_CLOSE(Deconvnet().attribute(model, x, {c}).values, deconv);
  }
  // The rules themselves on one tensor: g = [-1, 2, 3], x = [1, 1, -1].
  auto xin = torch::tensor({1.0, 1.0, -1.0}, torch::requires_grad());
  auto g = torch::tensor({-1.0, 2.0, 3.0});
  auto gg = torch::autograd::grad({modified_relu(xin, ReluRule::kGuided)}, {xin}, {g})[0];
  auto gd = torch::autograd::grad({modified_relu(xin, ReluRule::kDeconv)}, {xin}, {g})[0];
  GNNX_REQUIRE_CLOSE(gg, torch::tensor({0.0, 2.0, 0.0}));
  GNNX_REQUIRE_CLOSE(gd, torch::tensor({0.0, 2.0, 3.0}));
}
