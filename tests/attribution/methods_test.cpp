// The attribution methods against closed forms: analytic gradients of hand-built networks,
// the modified ReLU rules, integrated gradients' completeness and quadrature tables, SmoothGrad
// with supplied noise, and occlusion on a linear model.
#include <cmath>

#include <torch/torch.h>

#include "gnnx/attribution/gradient.h"
#include "gnnx/attribution/integrated_gradients.h"
#include "gnnx/attribution/noise_tunnel.h"
#include "gnnx/attribution/occlusion.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::attribution;
namespace tnn = torch::nn;

namespace {

// f(x) = W2 tanh(W1 x + b1) + b2, double precision.
struct TanhNet {
  tnn::Linear l1{nullptr}, l2{nullptr};
  tnn::Sequential seq{nullptr};
  TanhNet() {
    torch::manual_seed(11);
    l1 = tnn::Linear(4, 5);
    l2 = tnn::Linear(5, 3);
    seq = tnn::Sequential(l1, tnn::Tanh(), l2);
    seq->to(torch::kDouble);
  }
  // ∂f_c/∂x for every row of x: W1ᵀ (W2[c] ⊙ (1 − tanh²(W1 x + b1))).
  at::Tensor gradient(const at::Tensor& x, const std::vector<int64_t>& labels) {
    torch::NoGradGuard no_grad;
    auto z = x.matmul(l1->weight.t()) + l1->bias;
    auto d = 1 - z.tanh().square();
    auto rows = std::vector<at::Tensor>();
    for (int64_t b = 0; b < x.size(0); ++b)
      rows.push_back((l2->weight[labels[static_cast<size_t>(b)]] * d[b]).matmul(l1->weight));
    return torch::stack(rows);
  }
};

}  // namespace

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
    auto w2c = l2->weight[c].detach();                // gradient at the ReLU output
    auto W1 = l1->weight.detach();
    auto plain = (w2c * on).matmul(W1);               // ordinary gradient
    auto guided = (w2c.clamp_min(0) * on).matmul(W1); // relu(g) · 1[z > 0]
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
  CHECK(atr[1] == Approx(1.0 / 3));
  CHECK(wtr[0] == Approx(1.0 / 6));
  CHECK(wtr[1] == Approx(1.0 / 3));
  CHECK(wtr[3] == Approx(1.0 / 6));
  GNNX_REQUIRE_ERROR("at least 2 steps", integration_rule(IntegrationMethod::kRiemannTrapezoid, 1));
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
  for (auto m : {IntegrationMethod::kRiemannRight, IntegrationMethod::kRiemannTrapezoid}) {
    INFO(to_string(m));
    double d4 = max_delta(m, 4), d16 = max_delta(m, 16), d64 = max_delta(m, 64);
    CHECK(d16 < d4);
    CHECK(d64 < d16);
    CHECK(d64 < (m == IntegrationMethod::kRiemannRight ? 1e-1 : 1e-3));
  }
  // Gauss-Legendre converges geometrically on this analytic path: at roundoff by 50 steps.
  const double g2 = max_delta(IntegrationMethod::kGaussLegendre, 2), g4 = max_delta(IntegrationMethod::kGaussLegendre, 4);
  CHECK(g4 < g2);
  CHECK(max_delta(IntegrationMethod::kGaussLegendre, 50) < 1e-10);
  // Linear model: IG = (x − x') ⊙ w for every rule whose weights sum to 1.
  auto lin = tnn::Linear(4, 2);
  lin->to(torch::kDouble);
  auto lm = ImageModel::sequential(tnn::Sequential(lin));
  for (auto m : {IntegrationMethod::kRiemannLeft, IntegrationMethod::kRiemannMiddle, IntegrationMethod::kGaussLegendre}) {
    auto r = IntegratedGradients(IntegratedGradientsOptions().steps(7).method(m).baseline_value(-1.0)).attribute(lm, x, {1});
    GNNX_REQUIRE_CLOSE(r.values, (x + 1.0) * lin->weight[1].detach(), 1e-12, 1e-12);
  }
}

TEST_CASE("SmoothGrad with supplied noise equals the mean of the saliencies of the noisy inputs", "[attribution]") {
  TanhNet net;
  auto model = ImageModel::sequential(net.seq);
  auto x = torch::randn({2, 4}, torch::kDouble);
  std::vector<int64_t> labels{0, 2};
  const int64_t S = 4;
  auto noise = 0.3 * torch::randn({2, S, 4}, torch::kDouble);
  std::vector<at::Tensor> sal(2), sq(2);
  for (int64_t b = 0; b < 2; ++b) {
    auto noisy = x[b].unsqueeze(0) + noise[b];  // [S, 4]
    auto g = net.gradient(noisy, std::vector<int64_t>(S, labels[static_cast<size_t>(b)]));
    sal[static_cast<size_t>(b)] = g.abs().mean(0);
    sq[static_cast<size_t>(b)] = g.square().mean(0);
  }
  auto sg = NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().noise(noise)).attribute(model, x, labels);
  CHECK(sg.method == "smoothgrad");
  GNNX_REQUIRE_CLOSE(sg.values, torch::stack(sal), 1e-12, 1e-12);
  auto sgsq = NoiseTunnel(std::make_shared<Saliency>(SaliencyOptions().abs(false)),
                          NoiseTunnelOptions().noise(noise.reshape({2 * S, 4})).type(NoiseTunnelType::kSmoothGradSq))
                  .attribute(model, x, labels);
  GNNX_REQUIRE_CLOSE(sgsq.values, torch::stack(sq), 1e-12, 1e-12);
  auto vg = NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().noise(noise).type(NoiseTunnelType::kVarGrad))
                .attribute(model, x, labels);
  GNNX_REQUIRE_CLOSE(vg.values, torch::stack(sq) - torch::stack(sal).square(), 1e-10, 1e-12);
  // Drawn noise: seeded, so the same seed repeats and another seed differs.
  auto a = NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().seed(5).stdev(0.5)).attribute(model, x, labels);
  auto b = NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().seed(5).stdev(0.5)).attribute(model, x, labels);
  auto c = NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().seed(6).stdev(0.5)).attribute(model, x, labels);
  GNNX_REQUIRE_CLOSE(a.values, b.values, 0.0, 0.0);
  CHECK_FALSE(torch::allclose(a.values, c.values));
  // Over integrated gradients: the per-sample deltas come back as [B, S].
  auto nig = NoiseTunnel(std::make_shared<IntegratedGradients>(IntegratedGradientsOptions().steps(8)),
                         NoiseTunnelOptions().noise(noise))
                 .attribute(model, x, labels);
  CHECK(nig.method == "noise-tunnel(ig)");
  REQUIRE(nig.diagnostics.at("delta").sizes() == c10::IntArrayRef({2, S}));
}

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
  for (int64_t ppe : {1, 4}) {
    auto r = Occlusion(OcclusionOptions().window({1, 2, 2}).strides({1, 1, 2}).baseline(beta).perturbations_per_eval(ppe))
                 .attribute(model, x, {0});
    for (int64_t b = 0; b < 2; ++b) {
      auto total = torch::zeros({2, 4, 5}, torch::kDouble), count = torch::zeros({2, 4, 5}, torch::kDouble);
      for (int64_t c = 0; c < 2; ++c)
        for (int64_t h = 0; h + 2 <= 4; ++h)
          for (int64_t v : {0, 2, 4}) {
            using torch::indexing::Slice;
            auto win = std::vector<at::indexing::TensorIndex>{c, Slice(h, h + 2), Slice(v, std::min<int64_t>(v + 2, 5))};
            double diff = (w.index(win) * (x[b].index(win) - beta)).sum().item<double>();
            total.index(win) += diff;
            count.index(win) += 1;
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
}
