// Integrated gradients against closed forms: the quadrature rules against tabulated values,
// completeness (the delta shrinks with the steps) and exactness on a linear model.
#include "gnnx/attribution/integrated_gradients.h"

#include <cmath>

#include <torch/torch.h>

#include "support/catch.h"
#include "support/tanh_net.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::attribution;
using gnnx::test::TanhNet;
namespace tnn = torch::nn;

TEST_CASE("Gauss-Legendre and Riemann rules against tabulated values", "[attribution]") {
  auto [a3, w3] = integration_rule(IntegrationMethod::kGaussLegendre, 3);
  const double r = std::sqrt(0.6);
  CHECK(a3[0] == Approx(0.5 * (1 - r)).epsilon(1e-14));
  CHECK(a3[1] == Approx(0.5).epsilon(1e-14));
  CHECK(a3[2] == Approx(0.5 * (1 + r)).epsilon(1e-14));
  CHECK(w3[0] == Approx(5.0 / 18).epsilon(1e-14));
  CHECK(w3[1] == Approx(8.0 / 18).epsilon(1e-14));
  CHECK(w3[2] == Approx(5.0 / 18).epsilon(1e-14));
  // n = 5 (Abramowitz & Stegun, table 25.4), on [-1, 1].
  auto [a5, w5] = integration_rule(IntegrationMethod::kGaussLegendre, 5);
  const double t5[] = {-0.906179845938664, -0.538469310105683, 0.0, 0.538469310105683, 0.906179845938664};
  const double v5[] = {0.236926885056189, 0.478628670499366, 0.568888888888889, 0.478628670499366, 0.236926885056189};
  for (int i = 0; i < 5; ++i) {
    CHECK(2 * a5[static_cast<size_t>(i)] - 1 == Approx(t5[i]).margin(1e-14));
    CHECK(2 * w5[static_cast<size_t>(i)] == Approx(v5[i]).margin(1e-14));
  }
  // n = 50: exact for polynomials of degree 99; weights sum to 1.
  auto [a50, w50] = integration_rule(IntegrationMethod::kGaussLegendre, 50);
  double sum = 0, moment = 0;
  for (size_t i = 0; i < 50; ++i) {
    sum += w50[i];
    moment += w50[i] * std::pow(a50[i], 99);
    if (i) CHECK(a50[i] > a50[i - 1]);
  }
  CHECK(sum == Approx(1.0).epsilon(1e-13));
  CHECK(moment == Approx(1.0 / 100).epsilon(1e-12));
  auto [al, wl] = integration_rule(IntegrationMethod::kRiemannLeft, 4);
  auto [ar, wr] = integration_rule(IntegrationMethod::kRiemannRight, 4);
  auto [am, wm] = integration_rule(IntegrationMethod::kRiemannMiddle, 4);
  auto [atr, wtr] = integration_rule(IntegrationMethod::kRiemannTrapezoid, 4);
  CHECK(al == std::vector<double>{0.0, 0.25, 0.5, 0.75});
  CHECK(ar == std::vector<double>{0.25, 0.5, 0.75, 1.0});
  CHECK(am == std::vector<double>{0.125, 0.375, 0.625, 0.875});
  CHECK(wl == std::vector<double>(4, 0.25));
  // Captum's riemann_trapezoid: linspace nodes, steps 1/n halved at both ends (they sum to 3/4).
  CHECK(atr[1] == Approx(1.0 / 3));
  CHECK(wtr == std::vector<double>{0.125, 0.25, 0.25, 0.125});
  // The trapezoid rule proper: the same nodes, steps 1/(n - 1).
  auto [at, wt] = integration_rule(IntegrationMethod::kTrapezoid, 4);
  CHECK(at == atr);
  CHECK(wt[0] == Approx(1.0 / 6));
  CHECK(wt[1] == Approx(1.0 / 3));
  CHECK(wt[3] == Approx(1.0 / 6));
  GNNX_REQUIRE_ERROR("at least 2 steps", integration_rule(IntegrationMethod::kRiemannTrapezoid, 1));
  GNNX_REQUIRE_ERROR("at least 2 steps", integration_rule(IntegrationMethod::kTrapezoid, 1));
  GNNX_REQUIRE_ERROR("at least 1 step", integration_rule(IntegrationMethod::kGaussLegendre, 0));
}

TEST_CASE("integrated gradients: completeness delta -> 0 as steps grow, exact on a linear model", "[attribution]") {
  TanhNet net;
  auto model = ImageModel::sequential(net.seq);
  auto x = 2.0 * torch::randn({2, 4}, torch::kDouble);
  auto base = torch::full({1, 4}, 0.3, torch::kDouble);
  auto max_delta = [&](IntegrationMethod m, int64_t steps) {
    auto r = IntegratedGradients(IntegratedGradientsOptions().steps(steps).method(m).baseline(base))
                 .attribute(model, x, {1, 2});
    // delta is Σ attr − (f(x) − f(x')), checked here against the model directly.
    auto f = net.seq->forward(x) - net.seq->forward(base.expand_as(x));
    auto expect = r.values.sum(1) - torch::stack({f[0][1], f[1][2]});
    GNNX_REQUIRE_CLOSE(r.diagnostics.at("delta"), expect, 1e-9, 1e-12);
    return r.diagnostics.at("delta").abs().max().item<double>();
  };
  // First order: the right rule, and Captum's riemann_trapezoid (its weights sum to (n-1)/n);
  // second order: the trapezoid rule.
  for (auto m :
       {IntegrationMethod::kRiemannRight, IntegrationMethod::kRiemannTrapezoid, IntegrationMethod::kTrapezoid}) {
    INFO(to_string(m));
    double d4 = max_delta(m, 4), d16 = max_delta(m, 16), d64 = max_delta(m, 64);
    CHECK(d16 < d4);
    CHECK(d64 < d16);
    CHECK(d64 < (m == IntegrationMethod::kTrapezoid ? 1e-3 : 1e-1));
  }
  // Gauss-Legendre converges geometrically on this analytic path: at roundoff by 50 steps.
  const double g2 = max_delta(IntegrationMethod::kGaussLegendre, 2),
               g4 = max_delta(IntegrationMethod::kGaussLegendre, 4);
  CHECK(g4 < g2);
  CHECK(max_delta(IntegrationMethod::kGaussLegendre, 50) < 1e-10);
  // Linear model: IG = (x − x') ⊙ w for every rule whose weights sum to 1.
  auto lin = tnn::Linear(4, 2);
  lin->to(torch::kDouble);
  auto lm = ImageModel::sequential(tnn::Sequential(lin));
  for (auto m :
       {IntegrationMethod::kRiemannLeft, IntegrationMethod::kRiemannMiddle, IntegrationMethod::kGaussLegendre}) {
    auto r =
        IntegratedGradients(IntegratedGradientsOptions().steps(7).method(m).baseline_value(-1.0)).attribute(lm, x, {1});
    GNNX_REQUIRE_CLOSE(r.values, (x + 1.0) * lin->weight[1].detach(), 1e-12, 1e-12);
  }
}
