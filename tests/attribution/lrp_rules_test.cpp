#include "gnnx/attribution/lrp_rules.h"

#include <torch/torch.h>

#include "support/catch.h"
#include "support/tensor_match.h"

using gnnx::attribution::lrp_linear;
using gnnx::attribution::LrpRule;

namespace {

// x = (1, 2) -> hidden = relu(W1 x) -> f = W2 hidden, no biases. Returns x * df/dx with the rule
// on the first layer and `top` on the second.
torch::Tensor two_layer_relevance(const LrpRule& first, const LrpRule& top) {
  auto x = torch::tensor({{1.0, 2.0}}, torch::kDouble).requires_grad_(true);
  auto W1 = torch::tensor({{1.0, -1.0}, {-0.5, 2.0}}, torch::kDouble);
  auto W2 = torch::tensor({{2.0, 3.0}}, torch::kDouble);
  auto h = lrp_linear(first, x, torch::relu(torch::mm(x.detach(), W1.t())), W1, {});
  auto f = lrp_linear(top, h, torch::mm(h.detach(), W2.t()), W2, {});
  REQUIRE(f.item<double>() == Approx(10.5));  // the trick keeps the forward value
  auto g = torch::autograd::grad({f.sum()}, {x})[0];
  return (x * g).detach().squeeze(0);
}

}  // namespace

TEST_CASE("LRP rules on a 2-layer ReLU network equal the hand computation", "[gnnlrp][lrp]") {
  // z1 = (-1, 3.5): unit 0 is off, unit 1 carries all of f = 3 * 3.5 = 10.5.
  const auto lrp0 = LrpRule::eps(0);
  // LRP-0: R_i = x_i w_1i R_h / z_1 = (1 * -0.5, 2 * 2) * 10.5 / 3.5.
  GNNX_REQUIRE_CLOSE(two_layer_relevance(lrp0, lrp0), torch::tensor({-1.5, 12.0}, torch::kDouble), 1e-12, 1e-12);
  // gamma = 1: W1 row 1 -> (-0.5, 4), p = 7.5: R = (-0.5, 8) * 10.5 / 7.5.
  GNNX_REQUIRE_CLOSE(two_layer_relevance(LrpRule::gamma_rule(1.0, 0), lrp0),
                     torch::tensor({-0.7, 11.2}, torch::kDouble), 1e-12, 1e-12);
  // z+: only x_2 w_12 = 4 > 0 contributes.
  GNNX_REQUIRE_CLOSE(two_layer_relevance(LrpRule::zplus(0), lrp0), torch::tensor({0.0, 10.5}, torch::kDouble), 1e-12,
                     1e-12);
  // alpha = 2, beta = 1: R_1 = -1 * (-0.5 / -0.5) * 10.5, R_2 = 2 * (4 / 4) * 10.5.
  GNNX_REQUIRE_CLOSE(two_layer_relevance(LrpRule::alpha_beta(2, 1, 0), lrp0),
                     torch::tensor({-10.5, 21.0}, torch::kDouble), 1e-12, 1e-12);
  // epsilon = 1 on both layers: R_h = 3.5 * 3 * 10.5 / 11.5, then R_i = x_i w_1i R_h / 4.5.
  const double rh = 3.5 * 3 * 10.5 / 11.5;
  GNNX_REQUIRE_CLOSE(two_layer_relevance(LrpRule::eps(1.0), LrpRule::eps(1.0)),
                     torch::tensor({-0.5 * rh / 4.5, 4.0 * rh / 4.5}, torch::kDouble), 1e-12, 1e-12);
}

TEST_CASE("LRP conserves relevance without biases and stabilisers", "[gnnlrp][lrp]") {
  torch::manual_seed(3);
  auto x = torch::rand({5, 6}, torch::kDouble).requires_grad_(true);
  auto W1 = torch::randn({8, 6}, torch::kDouble), W2 = torch::randn({3, 8}, torch::kDouble);
  for (const auto& rule :
       {LrpRule::eps(0), LrpRule::gamma_rule(0.5, 0), LrpRule::zplus(0), LrpRule::alpha_beta(2, 1, 0)}) {
    auto h = lrp_linear(rule, x, torch::relu(torch::mm(x.detach(), W1.t())), W1, {});
    auto y = lrp_linear(LrpRule::eps(0), h, torch::mm(h.detach(), W2.t()), W2, {});
    auto f = y.select(1, 1);
    auto g = torch::autograd::grad({f.sum()}, {x})[0];
    auto R = (x * g).sum(1);
    INFO(rule.describe());
    GNNX_REQUIRE_CLOSE(R, f.detach(), 1e-9, 1e-9);
  }
}

TEST_CASE("Stabiliser: epsilon with the sign of z, sign(0) = +1, 0/0 gives 0", "[gnnlrp][lrp]") {
  using gnnx::attribution::lrp_ratio;
  using gnnx::attribution::lrp_stabilize;
  GNNX_REQUIRE_CLOSE(lrp_stabilize(torch::tensor({-2.0, 0.0, 3.0}), 0.5), torch::tensor({-2.5, 0.5, 3.5}));
  GNNX_REQUIRE_CLOSE(lrp_ratio(torch::tensor({0.0, 2.0}), torch::tensor({0.0, 4.0}), 0.0), torch::tensor({0.0, 0.5}));
  GNNX_REQUIRE_CLOSE(gnnx::attribution::gamma_transform(torch::tensor({-1.0, 2.0}), 0.5), torch::tensor({-1.0, 3.0}));
}

TEST_CASE("The generic modified forward serves Conv2d: a 1x1 convolution equals its Linear", "[gnnlrp][lrp]") {
  using gnnx::attribution::ParamTransform;
  torch::manual_seed(5);
  auto W = torch::randn({4, 3}, torch::kDouble);
  auto b = torch::randn({4}, torch::kDouble);
  auto img = torch::rand({1, 3, 2, 2}, torch::kDouble);
  const auto rule = LrpRule::gamma_rule(0.25);
  // Conv2d through lrp_forward.
  auto xc = img.clone().requires_grad_(true);
  auto conv = [&](const torch::Tensor& in, const ParamTransform& t) {
    return torch::conv2d(in, t.weight(W.view({4, 3, 1, 1})), t.bias(b));
  };
  auto yc = gnnx::attribution::lrp_forward(rule, xc, torch::relu(conv(xc.detach(), ParamTransform::identity())), conv);
  auto gc = torch::autograd::grad({yc.sum()}, {xc})[0];
  // The same pixels as rows of a Linear.
  auto xl = img.permute({0, 2, 3, 1}).reshape({4, 3}).clone().requires_grad_(true);
  auto yl = lrp_linear(rule, xl, torch::relu(torch::addmm(b, xl.detach(), W.t())), W, b);
  auto gl = torch::autograd::grad({yl.sum()}, {xl})[0];
  GNNX_REQUIRE_CLOSE((xc * gc).permute({0, 2, 3, 1}).reshape({4, 3}), (xl * gl).detach(), 1e-12, 1e-12);
}

TEST_CASE("LRP rule errors name the problem", "[gnnlrp][lrp]") {
  GNNX_REQUIRE_ERROR("gamma must be >= 0", LrpRule::gamma_rule(-1).validate("test"));
  GNNX_REQUIRE_ERROR("alpha - beta must be 1", LrpRule::alpha_beta(2, 2).validate("test"));
  GNNX_REQUIRE_ERROR("epsilon must be >= 0", LrpRule::eps(-1).validate("test"));
  GNNX_REQUIRE_ERROR("LRP rule: expected one of epsilon, gamma, zplus, alpha-beta, got",
                     gnnx::from_name<gnnx::attribution::LrpRuleKind>("foo"));
  auto W = torch::ones({2, 3});
  GNNX_REQUIRE_ERROR("lrp_linear: input must end in 3",
                     lrp_linear(LrpRule::eps(), torch::ones({1, 2}), torch::ones({1, 2}), W, {}));
}
