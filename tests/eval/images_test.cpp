#include "gnnx/eval/images.h"

#include <torch/torch.h>

#include "gnnx/core/random.h"

#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx::eval;
namespace tnn = torch::nn;

TEST_CASE("deletion curve of a linear model, by hand", "[images]") {
  // f(x) = [Σ_p v_p x_p, 0] on a 1 x 2 x 2 image with all pixels 1: removing pixel p (baseline 0)
  // subtracts v_p from the logit.
  auto v = torch::tensor({4.0f, 1.0f, 2.0f, 3.0f});
  auto model = gnnx::attribution::ImageModel::function([v](const at::Tensor& x) {
    auto s = (x.flatten(1) * v).sum(1, true);
    return torch::cat({s, torch::zeros_like(s)}, 1);
  });
  auto x = torch::ones({1, 1, 2, 2});
  auto maps = torch::tensor({{{0.9f, 0.1f}, {0.5f, 0.7f}}});  // order: p0, p3, p2, p1
  auto r = deletion_curves(model, x, torch::tensor({0}), maps, DeletionOptions().steps(4).score(CurveScore::kLogit));
  GNNX_REQUIRE_CLOSE(r.fractions, torch::tensor({0.0, 0.25, 0.5, 0.75, 1.0}, torch::kDouble));
  GNNX_REQUIRE_CLOSE(r.scores, torch::tensor({{10.0, 6.0, 3.0, 1.0, 0.0}}, torch::kDouble));
  // Trapezoids of width 1/4: (10 + 6 + 6 + 3 + 3 + 1 + 1 + 0) / 8.
  REQUIRE(r.auc[0].item<double>() == Approx(30.0 / 8));
  auto p = deletion_curves(model, x, torch::tensor({0}), maps, DeletionOptions().steps(2));
  REQUIRE(p.scores[0][0].item<double>() == Approx(1 / (1 + std::exp(-10.0))));
  GNNX_REQUIRE_ERROR("steps", deletion_curves(model, x, torch::tensor({0}), maps, DeletionOptions().steps(0)));
}

namespace {

// An "explanation" that ignores the model: the input itself.
class InputEcho : public gnnx::attribution::Attributor {
 public:
  std::string name() const override { return "echo"; }

 protected:
  gnnx::attribution::Attribution compute(gnnx::attribution::Objective& o) override {
    gnnx::attribution::Attribution a;
    a.values = o.input();
    return a;
  }
};

}  // namespace

TEST_CASE("model randomisation: top-down stages, a model-independent method keeps correlation 1", "[images]") {
  torch::manual_seed(0);
  auto net = tnn::Sequential({{"conv1", tnn::Conv2d(tnn::Conv2dOptions(1, 2, 3).padding(1))},
                              {"relu1", tnn::ReLU()},
                              {"conv2", tnn::Conv2d(tnn::Conv2dOptions(2, 2, 3).padding(1))},
                              {"relu2", tnn::ReLU()},
                              {"gap", tnn::AdaptiveAvgPool2d(tnn::AdaptiveAvgPool2dOptions(1))},
                              {"flatten", tnn::Flatten()},
                              {"fc", tnn::Linear(2, 2)}});
  auto before = net->forward(torch::ones({1, 1, 4, 4}));
  auto x = torch::randn({2, 1, 6, 6}, gnnx::torch_generator(2));
  InputEcho echo;
  auto r = model_randomisation(net, echo, x, torch::tensor({0, 1}));
  REQUIRE(r.layers == std::vector<std::string>{"fc", "conv2", "conv1"});
  GNNX_REQUIRE_CLOSE(r.correlation, torch::ones({3}, torch::kDouble));
  // The original model is untouched.
  GNNX_REQUIRE_CLOSE(net->forward(torch::ones({1, 1, 4, 4})), before);
}
